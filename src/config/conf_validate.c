/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * conf_validate.c: what the sections say about each other.
 *
 * Rules refer to roles and cost centres by name; this resolves the names
 * into pointers (errors when one is missing) and then looks for things that
 * are legal but almost certainly not what the operator meant (warnings): a
 * rule that can never match, a group that does not exist, a role nothing
 * grants.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "config/conf.h"
#include "config/conf_internal.h"

#define SEEN(raw, bit) (((raw)->seen >> (bit)) & 1u)

/* A name list for hints: "staff, engineer". */
static char *
role_names(const struct ora_conf *conf)
{
	char *s = ora_xstrdup(""), *t;

	for (size_t i = 0; i < conf->n_roles; i++) {
		t = ora_xasprintf("%s%s%s", s, i > 0 ? ", " : "", conf->roles[i].name);
		free(s);
		s = t;
	}
	return s;
}

static char *
centre_names(const struct ora_conf *conf)
{
	char *s = ora_xstrdup(""), *t;

	for (size_t i = 0; i < conf->n_centres; i++) {
		t = ora_xasprintf("%s%s%s", s, i > 0 ? ", " : "", conf->centres[i].name);
		free(s);
		s = t;
	}
	return s;
}

static void
resolve_kind(struct conf_loader *ld, struct ora_rule *rule, struct conf_raw_rule *raw)
{
	int n = (int)SEEN(raw, CONF_RULE_USER) + (int)SEEN(raw, CONF_RULE_GROUP) +
	        (int)SEEN(raw, CONF_RULE_EVERYONE);
	const config_setting_t *e;

	if (n == 0) {
		conf_diag(ld, CONF_ERROR, raw->setting,
		    "the rule at line %d matches nobody; give it exactly one of user = \"NAME\";, "
		    "group = \"NAME\"; or everyone = true;",
		    rule->line);
		return;
	}
	if (n > 1) {
		conf_diag(ld, CONF_ERROR, raw->setting,
		    "the rule at line %d has more than one of user, group and everyone; a rule "
		    "matches exactly one of them: split it into separate rules",
		    rule->line);
		return;
	}
	if (raw->user != NULL) {
		rule->kind = ORA_RULE_USER;
		rule->name = ora_xstrdup(raw->user);
	} else if (raw->group != NULL) {
		rule->kind = ORA_RULE_GROUP;
		rule->name = ora_xstrdup(raw->group);
	} else if (SEEN(raw, CONF_RULE_EVERYONE) && raw->everyone) {
		rule->kind = ORA_RULE_EVERYONE;
	} else if (SEEN(raw, CONF_RULE_EVERYONE) &&
	           (e = config_setting_get_member(raw->setting, "everyone")) != NULL &&
	           config_setting_type(e) == CONFIG_TYPE_BOOL) {
		conf_diag(ld, CONF_ERROR, e,
		    "everyone = false in the rule at line %d would match nobody; write everyone = "
		    "true; or remove the rule",
		    rule->line);
	}
	/* Otherwise the value itself was wrong and has been reported. */
}

static void
resolve_role(struct conf_loader *ld, struct ora_rule *rule, struct conf_raw_rule *raw)
{
	const struct ora_role *role;
	char *names;

	if (raw->role == NULL) {
		if (!SEEN(raw, CONF_RULE_ROLE)) {
			names = role_names(ld->conf);
			conf_diag(ld, CONF_ERROR, raw->setting,
			    "the rule at line %d grants no role; add role = \"NAME\"; naming one "
			    "of the roles (%s)",
			    rule->line, names);
			free(names);
		}
		return;
	}
	if ((role = ora_conf_find_role(ld->conf, raw->role)) == NULL) {
		names = role_names(ld->conf);
		conf_diag(ld, CONF_ERROR, raw->role_setting,
		    "rule at line %d names role '%s', which is not defined in roles; define it "
		    "there or use one of: %s",
		    rule->line, raw->role, names);
		free(names);
		return;
	}
	rule->role = role;
	ld->role_used[role - ld->conf->roles] = 1;
}

static void
add_centre(
    struct conf_loader *ld, struct ora_rule *rule, struct conf_raw_rule *raw, const char *name)
{
	const struct ora_cost_centre *cc;
	char *names;

	if ((cc = ora_conf_find_centre(ld->conf, name)) == NULL) {
		names = centre_names(ld->conf);
		conf_diag(ld, CONF_ERROR, raw->centres_setting,
		    "rule at line %d names cost centre '%s', which is not defined in cost_centres; "
		    "define it there or use one of: %s",
		    rule->line, name, names);
		free(names);
		return;
	}
	for (size_t i = 0; i < rule->n_centres; i++) {
		if (rule->centres[i] == cc) {
			conf_diag(ld, CONF_WARNING, raw->centres_setting,
			    "the rule at line %d lists cost centre '%s' twice; remove one",
			    rule->line, name);
			return;
		}
	}
	rule->centres[rule->n_centres++] = cc;
	ld->centre_used[cc - ld->conf->centres] = 1;
}

static void
resolve_centres(struct conf_loader *ld, struct ora_rule *rule, struct conf_raw_rule *raw)
{
	char *names;

	if (SEEN(raw, CONF_RULE_CENTRE) && SEEN(raw, CONF_RULE_CENTRES)) {
		conf_diag(ld, CONF_ERROR, raw->setting,
		    "the rule at line %d has both cost_centre and cost_centres; keep one "
		    "(cost_centre = \"X\"; is short for cost_centres = [ \"X\" ];)",
		    rule->line);
		return;
	}
	if (!SEEN(raw, CONF_RULE_CENTRE) && !SEEN(raw, CONF_RULE_CENTRES)) {
		names = centre_names(ld->conf);
		conf_diag(ld, CONF_ERROR, raw->setting,
		    "the rule at line %d grants no cost centre, so nobody would pay for its "
		    "requests; add cost_centre = \"NAME\"; or cost_centres = [ ... ]; with one of: "
		    "%s",
		    rule->line, names);
		free(names);
		return;
	}
	rule->centres = ora_xcalloc(raw->n_cost_centres + 1, sizeof(*rule->centres));
	if (raw->cost_centre != NULL)
		add_centre(ld, rule, raw, raw->cost_centre);
	for (size_t i = 0; i < raw->n_cost_centres; i++)
		add_centre(ld, rule, raw, raw->cost_centres[i]);
}

/* NSS lookups for the "does not exist" warnings. Only a definite "no such
 * entry" counts: if the directory is unreachable we stay quiet rather than
 * warn about every group. */
int
conf_name_exists(int is_group, const char *name)
{
	size_t size = 1024;
	char *buf = NULL;
	int r, found = 1;

	for (;;) {
		buf = ora_xrealloc(buf, size);
		if (is_group) {
			struct group gr, *res = NULL;
			r = getgrnam_r(name, &gr, buf, size, &res);
			found = res != NULL;
		} else {
			struct passwd pw, *res = NULL;
			r = getpwnam_r(name, &pw, buf, size, &res);
			found = res != NULL;
		}
		if (r != ERANGE || size >= (1u << 24))
			break;
		size *= 2;
	}
	free(buf);
	if (r != 0 && r != ENOENT && r != ESRCH)
		return 1;
	return found;
}

static const char *
rule_subject(const struct ora_rule *r, char *buf, size_t size)
{
	if (r->kind == ORA_RULE_EVERYONE)
		return "everyone";
	snprintf(buf, size, "%s '%s'", r->kind == ORA_RULE_USER ? "user" : "group", r->name);
	return buf;
}

/* A later rule can never match when an earlier one matches at least the
 * same callers. (A user rule below a group rule the user belongs to is
 * shadowed too, but membership is only known at request time.) */
static void
warn_shadowed(struct conf_loader *ld)
{
	const struct ora_conf *conf = ld->conf;
	char who[ORA_ERROR_MAX];

	for (size_t i = 1; i < conf->n_rules; i++) {
		const struct ora_rule *ri = &conf->rules[i];

		if (ri->kind != ORA_RULE_EVERYONE && ri->name == NULL)
			continue; /* broken rule, already reported */
		for (size_t j = 0; j < i; j++) {
			const struct ora_rule *rj = &conf->rules[j];

			if (rj->kind == ORA_RULE_EVERYONE) {
				conf_diag(ld, CONF_WARNING, ld->raw_rules[i].setting,
				    "the rule for %s can never match: the rule at line %d before "
				    "it matches everyone; move this rule above line %d or remove "
				    "it",
				    rule_subject(ri, who, sizeof(who)), rj->line, rj->line);
				break;
			}
			if (rj->kind == ri->kind && rj->name != NULL && ri->name != NULL &&
			    strcmp(rj->name, ri->name) == 0) {
				conf_diag(ld, CONF_WARNING, ld->raw_rules[i].setting,
				    "the rule for %s can never match: the rule at line %d already "
				    "matches %s; remove this rule or merge the two",
				    rule_subject(ri, who, sizeof(who)), rj->line,
				    ri->kind == ORA_RULE_USER ? "that user"
				                              : "every member of that group");
				break;
			}
		}
	}
}

static void
warn_unknown_names(struct conf_loader *ld)
{
	const struct ora_conf *conf = ld->conf;

	for (size_t i = 0; i < conf->n_rules; i++) {
		const struct ora_rule *r = &conf->rules[i];

		if (r->name == NULL || r->kind == ORA_RULE_EVERYONE)
			continue;
		if (!conf_name_exists(r->kind == ORA_RULE_GROUP, r->name))
			conf_diag(ld, CONF_WARNING, ld->raw_rules[i].setting,
			    "the rule at line %d names %s '%s', which does not exist on this "
			    "system; check the spelling (the rule matches nobody until it exists)",
			    r->line, r->kind == ORA_RULE_GROUP ? "group" : "user", r->name);
	}
}

static void
warn_unused(struct conf_loader *ld)
{
	const struct ora_conf *conf = ld->conf;

	for (size_t i = 0; i < conf->n_roles; i++) {
		if (!ld->role_used[i])
			conf_diag(ld, CONF_WARNING, NULL,
			    "role '%s' is defined but no rule grants it; add a rule or remove the "
			    "role",
			    conf->roles[i].name);
	}
	for (size_t i = 0; i < conf->n_centres; i++) {
		if (!ld->centre_used[i])
			conf_diag(ld, CONF_WARNING, NULL,
			    "cost centre '%s' is defined but no rule grants it; add it to a rule "
			    "or remove it",
			    conf->centres[i].name);
	}
}

/* A request that names no model gets the role's default; if a granted cost
 * centre does not allow it, such requests billed there will be refused. */
static void
warn_default_model(struct conf_loader *ld)
{
	const struct ora_conf *conf = ld->conf;

	for (size_t i = 0; i < conf->n_rules; i++) {
		const struct ora_rule *r = &conf->rules[i];

		if (r->role == NULL || r->role->default_model == NULL)
			continue;
		for (size_t k = 0; k < r->n_centres; k++) {
			const struct ora_cost_centre *cc = r->centres[k];

			if (cc->n_models > 0 &&
			    !conf_models_match(cc->models, cc->n_models, r->role->default_model))
				conf_diag(ld, CONF_WARNING, ld->raw_rules[i].setting,
				    "under the rule at line %d, requests billed to cost centre "
				    "'%s' that name no model will be refused: the default_model "
				    "'%s' of role '%s' is not among that centre's models; add it "
				    "there",
				    r->line, cc->name, r->role->default_model, r->role->name);
		}
	}
}

void
conf_validate(struct conf_loader *ld)
{
	struct ora_conf *conf = ld->conf;

	ld->role_used = ora_xcalloc(conf->n_roles + 1, 1);
	ld->centre_used = ora_xcalloc(conf->n_centres + 1, 1);
	for (size_t i = 0; i < conf->n_rules; i++) {
		struct ora_rule *rule = &conf->rules[i];
		struct conf_raw_rule *raw = &ld->raw_rules[i];

		if (raw->setting == NULL || !config_setting_is_group(raw->setting))
			continue; /* not a group: already reported */
		resolve_kind(ld, rule, raw);
		resolve_role(ld, rule, raw);
		resolve_centres(ld, rule, raw);
	}
	warn_shadowed(ld);
	warn_unknown_names(ld);
	warn_default_model(ld);
	conf_validate_policy(ld);
	conf_validate_budgets(ld);
	/* Unused-name warnings would only add noise to a file whose rules
	 * did not even resolve. */
	if (ld->diag->n_errors == 0)
		warn_unused(ld);
}
