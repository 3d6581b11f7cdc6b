/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * cmd_explain.c: `oractl explain USER [MODEL]`: why orad treats USER as
 * it does, in plain words, so that "why was I refused?" has an answer
 * without reading the configuration.
 *
 * The decision is taken by the same functions orad uses (ora_policy_match,
 * ora_policy_model_allowed) on the configuration file as it is now, with
 * USER's groups as NSS reports them now; the explanation around it (which
 * earlier rules did not match and why, which pattern allowed a model) is
 * worked out here. Live budget figures come from orad's /api/v1/usage.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit/admit.h"
#include "common/money.h"
#include "common/period.h"
#include "common/util.h"
#include "config/conf.h"
#include "config/identity.h"
#include "config/policy.h"
#include "oractl/http.h"
#include "oractl/oractl.h"

#define EXPLAIN_LIST_MAX 4096

/* "a, b, c" of a list of patterns, or `none` when empty. */
static void
explain_list(char *buf, size_t size, char *const *v, size_t n, const char *none)
{
	size_t len = 0;

	buf[0] = '\0';
	if (n == 0) {
		snprintf(buf, size, "%s", none);
		return;
	}
	for (size_t i = 0; i < n && len + 1 < size; i++) {
		int w = snprintf(buf + len, size - len, "%s%s", i > 0 ? ", " : "", v[i]);
		if (w < 0)
			break;
		len += (size_t)w;
	}
}

/* Look the user up by name, else (for a number) by uid. 1 if found, 0 if
 * there is no such user, -1 on a lookup failure (in err). */
static int
explain_lookup(const char *who, struct ora_identity *id, struct ora_error *err)
{
	struct passwd *pw;
	unsigned long uid;

	errno = 0;
	if ((pw = getpwnam(who)) == NULL && ora_parse_ulong(who, (uid_t)-1 - 1, &uid) == 0)
		pw = getpwuid((uid_t)uid);
	if (pw == NULL) {
		if (errno != 0 && errno != ENOENT && errno != ESRCH)
			return ora_error_set(
			    err, "cannot look up user %s: %s", who, strerror(errno));
		return 0;
	}
	if (ora_identity_resolve(pw->pw_uid, pw->pw_gid, id, err) != 0)
		return -1;
	return 1;
}

static void
explain_identity(const struct ora_identity *id)
{
	printf("user %s (uid %lu)\n", id->user, (unsigned long)id->uid);
	printf("  groups: ");
	for (size_t i = 0; i < id->n_groups; i++)
		printf("%s%s%s", i > 0 ? ", " : "", id->groups[i], i == 0 ? " (primary)" : "");
	printf("\n");
}

static const char *
rule_subject(const struct ora_rule *r, char *buf, size_t size)
{
	if (r->kind == ORA_RULE_EVERYONE)
		return "everyone";
	snprintf(buf, size, "%s %s", r->kind == ORA_RULE_USER ? "user" : "group", r->name);
	return buf;
}

/* Why the rules before the matching one (or all of them) did not match. */
static void
explain_misses(const struct ora_conf *conf, const struct ora_identity *id, size_t upto)
{
	char who[ORA_NAME_MAX + 16];

	for (size_t i = 0; i < upto; i++) {
		const struct ora_rule *r = &conf->rules[i];

		printf("  line %d (%s): ", r->line, rule_subject(r, who, sizeof(who)));
		if (r->kind == ORA_RULE_USER)
			printf("not %s\n", id->user);
		else
			printf("%s is not a member\n", id->user);
	}
}

/* No rule: say so, and what would grant access. */
static void
explain_no_rule(const struct ora_conf *conf, const struct ora_identity *id)
{
	size_t groups = 0;

	printf("\nno rule matches %s, so orad refuses every request from %s (403 not_permitted, "
	       "telling them to ask %s).\n",
	    id->user, id->user, conf->contact != NULL ? conf->contact : "their administrator");
	if (conf->n_rules > 0) {
		printf("rules tried, in order:\n");
		explain_misses(conf, id, conf->n_rules);
	}
	for (size_t i = 0; i < conf->n_rules; i++)
		if (conf->rules[i].kind == ORA_RULE_GROUP) {
			if (groups++ == 0)
				printf("to grant access, add %s to a group that a rule names, e.g. "
				       "`usermod -a -G %s %s`,\nor add a rule for user %s to %s.\n",
				    id->user, conf->rules[i].name, id->user, id->user, conf->path);
		}
	if (groups == 0)
		printf("to grant access, add a rule for user %s (or one of their groups) to %s.\n",
		    id->user, conf->path);
}

static void
explain_rule(const struct ora_conf *conf, const struct ora_identity *id,
    const struct ora_rule *rule, const char *via_group)
{
	size_t index = (size_t)(rule - conf->rules);

	printf("\nrule: line %d of %s, ", rule->line, conf->path);
	if (rule->kind == ORA_RULE_USER)
		printf("user %s: names %s\n", rule->name, id->user);
	else if (rule->kind == ORA_RULE_EVERYONE)
		printf("everyone: matches any caller\n");
	else
		printf("group %s: %s is a member of group %s (%s)\n", via_group, id->user,
		    via_group,
		    id->n_groups > 0 && strcmp(id->groups[0], via_group) == 0
		        ? "their primary group"
		        : "a supplementary group");
	if (index > 0) {
		printf("  rules before it, which did not match:\n");
		explain_misses(conf, id, index);
	}
}

static void
explain_role(const struct ora_role *role)
{
	char list[EXPLAIN_LIST_MAX];

	explain_list(list, sizeof(list), role->models, role->n_models, "-");
	printf("\nrole: %s\n", role->name);
	printf("  models:              %s\n", list);
	printf("  default model:       %s\n", role->default_model ? role->default_model : "none");
	if (role->max_tokens > 0)
		printf("  max_tokens:          %ld (a cap, and the value used when a request gives "
		       "none)\n",
		    role->max_tokens);
	else
		printf("  max_tokens:          no cap\n");
	if (role->requests_per_minute > 0)
		printf("  requests per minute: %ld\n", role->requests_per_minute);
	else
		printf("  requests per minute: unlimited\n");
	if (role->concurrent_requests > 0)
		printf("  concurrent requests: %ld\n", role->concurrent_requests);
	else
		printf("  concurrent requests: unlimited\n");
}

/* What the door enforces when billed to cc: the plugins the role or the
 * centre grants, and the provider preferences sent with every request
 * (computed by the admission core itself, src/admit). */
static void
explain_admission(const struct ora_role *role, const struct ora_cost_centre *cc)
{
	struct json_object *prefs = admit_site_provider(role, cc);
	char list[EXPLAIN_LIST_MAX];
	size_t len;

	explain_list(list, sizeof(list), role->plugins, role->n_plugins, "");
	len = strlen(list);
	for (size_t k = 0; k < cc->n_plugins; k++)
		if (!admit_plugin_granted(role, NULL, cc->plugins[k]))
			len += (size_t)snprintf(list + len, len < sizeof(list) ? sizeof(list) - len : 0,
			    "%s%s", len > 0 ? ", " : "", cc->plugins[k]);
	printf("      plugins: %s\n", list[0] != '\0' ? list : "none");
	printf("      provider preferences enforced: %s\n",
	    prefs != NULL ? json_object_to_json_string_ext(prefs, JSON_C_TO_STRING_SPACED |
	                        JSON_C_TO_STRING_NOSLASHESCAPE)
	                  : "none (a request's own provider object is forwarded as sent)");
	json_object_put(prefs);
}

static void
explain_centres(const struct ora_rule *rule)
{
	char list[EXPLAIN_LIST_MAX];

	printf("\ncost centres (the first is the default; a request may choose another with "
	       "the header X-Ora-Cost-Centre: NAME):\n");
	for (size_t i = 0; i < rule->n_centres; i++) {
		const struct ora_cost_centre *cc = rule->centres[i];

		explain_list(list, sizeof(list), cc->models, cc->n_models, "");
		printf("  %s%s: pays with key '%s'; %s%s\n", cc->name, i == 0 ? " (default)" : "",
		    cc->key ? cc->key : "-",
		    cc->n_models > 0 ? "narrows models to: " : "models: whatever the role allows",
		    list);
		explain_admission(rule->role, cc);
	}
}

/*
 * Budgets.
 */

struct explain_budget {
	const char *scope, *name;
	const struct ora_budget *b;
};

static size_t
budgets_add(struct explain_budget *v, size_t n, const char *scope, const char *name,
    const struct ora_budget *b)
{
	if (b == NULL || !b->set)
		return n;
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].scope, scope) == 0 && strcmp(v[i].name, name) == 0)
			return n;
	v[n] = (struct explain_budget){scope, name, b};
	return n + 1;
}

/* What the configuration says, without figures. */
static void
explain_budgets_configured(
    const struct ora_conf *conf, const struct ora_identity *id, const struct ora_rule *rule)
{
	struct explain_budget *v = ora_xcalloc(3 * rule->n_centres + 2, sizeof(*v));
	char limit[ORA_MONEY_TEXT_MAX];
	size_t n = 0;

	n = budgets_add(v, n, "user", id->user, ora_conf_user_budget(conf, rule->role, id->user));
	for (size_t i = 0; i < rule->n_centres; i++) {
		const struct ora_cost_centre *cc = rule->centres[i];
		n = budgets_add(v, n, "cost_centre", cc->name, &cc->budget);
		if (cc->key != NULL)
			n = budgets_add(v, n, "key", cc->key, ora_conf_key_budget(conf, cc->key));
	}
	n = budgets_add(v, n, "global", "-", &conf->budgets.global);
	if (n == 0)
		printf("  none: no budget limits %s's spending\n", id->user);
	else
		printf("  %-12s %-16s %-8s %s\n", "SCOPE", "NAME", "PERIOD", "LIMIT (USD)");
	for (size_t i = 0; i < n; i++) {
		ora_money_format(v[i].b->limit, limit, sizeof(limit));
		printf("  %-12s %-16s %-8s %s\n", v[i].scope, v[i].name,
		    ora_period_name(v[i].b->period), limit);
	}
	free(v);
}

static const char *
jstr(struct json_object *o, const char *key, const char *dflt)
{
	struct json_object *v;

	if (o != NULL && json_object_object_get_ex(o, key, &v) && v != NULL &&
	    !json_object_is_type(v, json_type_null))
		return json_object_get_string(v);
	return dflt;
}

/* The live figures, as orad counts them. 0 if printed. */
static int
explain_budgets_live(const char *body, const char *user)
{
	struct json_object *root = json_tokener_parse(body), *list;
	size_t n;

	if (root == NULL || !json_object_object_get_ex(root, "budgets", &list) ||
	    !json_object_is_type(list, json_type_array)) {
		json_object_put(root);
		return -1;
	}
	n = json_object_array_length(list);
	printf("\nbudgets (live from orad; periods in %s):\n", jstr(root, "timezone", "UTC"));
	if (json_object_object_get_ex(root, "host", NULL))
		printf("  (shared by every host: each budget's first line is host %s's, the "
		       "second all hosts')\n",
		    jstr(root, "host", "?"));
	if (n == 0)
		printf("  none: no budget limits %s's spending\n", user);
	else
		printf("  %-12s %-16s %-8s %14s %14s %14s %14s  %s\n", "SCOPE", "NAME", "PERIOD",
		    "LIMIT", "SPENT", "RESERVED", "REMAINING", "RESETS");
	for (size_t i = 0; i < n; i++) {
		struct json_object *b = json_object_array_get_idx(list, i);
		const char *name = jstr(b, "name", "-");
		struct json_object *org;

		printf("  %-12s %-16s %-8s %14s %14s %14s %14s  %s\n", jstr(b, "scope", "?"),
		    name[0] != '\0' ? name : "-", jstr(b, "period", "?"), jstr(b, "limit", "?"),
		    jstr(b, "spent", "?"), jstr(b, "reserved", "?"), jstr(b, "remaining", "?"),
		    jstr(b, "resets_at", "never"));
		/* A ledger shared by many hosts: the line above is this host's,
		 * this one every host's, which is what admission checks. */
		if (json_object_object_get_ex(b, "organisation", &org)) {
			if (org == NULL)
				printf("  %-12s %-16s %-8s %14s %14s %14s %14s  (not read yet)\n", "",
				    "(all hosts)", "", "", "?", "?", "?");
			else
				printf("  %-12s %-16s %-8s %14s %14s %14s %14s  as of %s\n", "",
				    "(all hosts)", "", "", jstr(org, "spent", "?"),
				    jstr(org, "reserved", "?"), jstr(org, "remaining", "?"),
				    jstr(org, "as_of", "?"));
		}
	}
	if (n > 0)
		printf(
		    "  (amounts in USD; a request is refused when it could exceed what remains)\n");
	json_object_put(root);
	return 0;
}

/* Percent-encode a user name for a query string. */
static char *
explain_escape(const char *s)
{
	char *out = ora_xmalloc(3 * strlen(s) + 1), *p = out;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
			*p++ = (char)c;
		else
			p += sprintf(p, "%%%02X", c);
	}
	*p = '\0';
	return out;
}

static void
explain_budgets(struct oractl *ctl, const struct ora_identity *id, const struct ora_rule *rule)
{
	char *user = explain_escape(id->user), *path = ora_xasprintf("/api/v1/usage?user=%s", user);
	struct oractl_http_reply rp = {0, NULL, 0, NULL};
	char why[ORA_ERROR_MAX];
	struct ora_error err;

	if (oractl_orad(ctl, "GET", path, &rp, &err) != 0)
		snprintf(why, sizeof(why), "%s", err.msg);
	else if (rp.status != 200)
		oractl_orad_refusal(ctl, &rp, why, sizeof(why));
	else if (explain_budgets_live(rp.body, id->user) == 0)
		goto out;
	else
		snprintf(why, sizeof(why), "orad's answer was not a usage report");
	printf("\nbudgets (%s; configured limits only, without live figures):\n", why);
	explain_budgets_configured(ctl->conf, id, rule);
out:
	oractl_http_reply_clear(&rp);
	free(path);
	free(user);
}

/*
 * MODEL.
 */

static const char *
first_match(char *const *patterns, size_t n, const char *model)
{
	for (size_t i = 0; i < n; i++)
		if (ora_glob_match(patterns[i], model))
			return patterns[i];
	return NULL;
}

/* Returns the number of granted cost centres under which model is allowed. */
static size_t
explain_model(const struct ora_conf *conf, const struct ora_rule *rule, const char *asked)
{
	const struct ora_role *role = rule->role;
	const char *model = asked, *alias = ora_conf_alias(conf, asked), *by_role, *by_cc;
	char list[EXPLAIN_LIST_MAX];
	size_t allowed = 0;

	if (alias != NULL) {
		model = alias;
		printf("\nmodel %s (an alias for %s, resolved before policy):\n", asked, model);
	} else {
		printf("\nmodel %s:\n", model);
	}
	by_role = first_match(role->models, role->n_models, model);
	for (size_t i = 0; i < rule->n_centres; i++) {
		const struct ora_cost_centre *cc = rule->centres[i];
		int ok = ora_policy_model_allowed(rule, cc, model) != NULL;

		printf("  cost centre %s%s: %s: ", cc->name, i == 0 ? " (default)" : "",
		    ok ? "allowed" : "refused");
		if (by_role == NULL) {
			explain_list(list, sizeof(list), role->models, role->n_models, "-");
			printf("role %s allows only %s\n", role->name, list);
			continue;
		}
		printf("role %s allows it by '%s'", role->name, by_role);
		if (cc->n_models == 0) {
			printf("; %s does not narrow models\n", cc->name);
		} else if ((by_cc = first_match(cc->models, cc->n_models, model)) != NULL) {
			printf(", and cost centre %s by '%s'\n", cc->name, by_cc);
		} else {
			explain_list(list, sizeof(list), cc->models, cc->n_models, "-");
			printf(", but cost centre %s allows only %s\n", cc->name, list);
		}
		if (ok)
			allowed++;
	}
	if (allowed > 0 && !(ora_policy_model_allowed(rule, rule->centres[0], model) != NULL))
		printf("  (so requests for it must choose a cost centre that allows it, with "
		       "X-Ora-Cost-Centre)\n");
	return allowed;
}

int
oractl_cmd_explain(struct oractl *ctl, int argc, char **argv)
{
	struct ora_identity id;
	const struct ora_rule *rule;
	const char *via_group = NULL, *who, *model;
	struct ora_error err;
	int first, status = ORACTL_EXIT_ERROR, found;

	memset(&id, 0, sizeof(id));
	if ((first = oractl_parse_options("explain", argc, argv, NULL, &status)) < 0)
		return status;
	if (argc - first < 1 || argc - first > 2) {
		oractl_error("explain takes a USER and, optionally, a MODEL");
		return oractl_usage("explain", 0);
	}
	who = argv[first];
	model = argc - first == 2 ? argv[first + 1] : NULL;
	if (oractl_conf(ctl) != 0)
		return ORACTL_EXIT_ERROR;

	if ((found = explain_lookup(who, &id, &err)) < 0) {
		oractl_error("%s", err.msg);
		goto out;
	}
	if (found == 0) {
		printf("there is no user '%s' on this system, so they cannot use orad: orad knows "
		       "callers by their uid, and a uid without a user is refused. Check the "
		       "spelling (getent passwd %s).\n",
		    who, who);
		goto out;
	}
	explain_identity(&id);
	if ((rule = ora_policy_match(ctl->conf, &id, &via_group)) == NULL) {
		explain_no_rule(ctl->conf, &id);
		goto out;
	}
	explain_rule(ctl->conf, &id, rule, via_group);
	explain_role(rule->role);
	explain_centres(rule);
	explain_budgets(ctl, &id, rule);
	if (model != NULL && explain_model(ctl->conf, rule, model) == 0)
		goto out;
	status = ORACTL_EXIT_OK;
out:
	ora_identity_clear(&id);
	return status;
}
