/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * conf_parse.c: each section of ora.conf into struct ora_conf.
 *
 * Every section is described by a table of the settings it may hold. A name
 * not in the table is an error, never ignored: a misspelt `max_token` that
 * silently did nothing would leave a limit unenforced while the operator
 * believes it is in force.
 */
#include "config.h"

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "common/log.h"
#include "common/util.h"
#include "config/conf.h"
#include "config/conf_internal.h"

/* clang-format off */
#define FIELD(st, name, type, member, ex) \
	{ name, type, offsetof(st, member), 0, 0, ex, NULL }
#define FIELD_LONG(st, name, member, min, ex, note) \
	{ name, F_LONG, offsetof(st, member), 0, min, ex, note }
#define FIELD_LIST(st, name, member, count, ex, note) \
	{ name, F_STRINGS, offsetof(st, member), offsetof(st, count), 0, ex, note }
/* clang-format on */
#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

#define D struct ora_daemon_conf
static const struct conf_field daemon_fields[] = {
    FIELD(D, "socket", F_SOCKET, socket_path, "\"/run/ora/ora.sock\""),
    FIELD(D, "socket_owner", F_NAME, socket_owner, "\"root\""),
    FIELD(D, "socket_group", F_NAME, socket_group, "\"ora-users\""),
    FIELD(D, "socket_mode", F_MODE, socket_mode, "\"0660\""),
    FIELD(D, "state_dir", F_PATH, state_dir, "\"/var/lib/ora\""),
    FIELD(D, "master_key", F_PATH, master_key, "\"/etc/ora/master.key\""),
    FIELD(D, "user", F_NAME, user, "\"ora\""),
    FIELD(D, "group", F_NAME, group, "\"ora\""),
    FIELD(D, "admin_group", F_NAME, admin_group, "\"ora-admins\""),
    FIELD(D, "log_level", F_LOG_LEVEL, log_level, "\"info\""),
    FIELD_LONG(D, "max_body_bytes", max_body_bytes, 1, "4194304", NULL),
    FIELD_LONG(D, "max_header_bytes", max_header_bytes, 1, "16384", NULL),
    FIELD_LONG(D, "header_timeout", header_timeout, 1, "10", NULL),
    FIELD_LONG(D, "request_timeout", request_timeout, 1, "600", NULL),
    FIELD_LONG(D, "max_connections_per_uid", max_connections_per_uid, 1, "64", NULL),
    FIELD_LONG(D, "max_connections", max_connections, 0, "4096", "0 sizes it from the descriptor limit"),
    FIELD_LONG(D, "body_timeout", body_timeout, 1, "60", NULL),
    FIELD_LONG(D, "keepalive_timeout", keepalive_timeout, 1, "30", NULL),
    FIELD_LONG(D, "max_pending_bytes_per_uid", max_pending_bytes_per_uid, 0, "16777216",
        "0 means 4 x max_body_bytes"),
    FIELD_LONG(D, "max_pending_bytes", max_pending_bytes, 1, "67108864", NULL),
    FIELD_LONG(D, "shutdown_grace", shutdown_grace, 0, "30", "0 stops at once"),
    FIELD(D, "ledger", F_BOOL, ledger, "true"),
    FIELD(D, "sandbox", F_BOOL, sandbox, "true"),
    {"listen", F_LISTEN, offsetof(D, listen), offsetof(D, n_listen), 0,
        "[ \"127.0.0.1:8391\", \"[::1]:8391\" ]",
        "(or remove the setting to serve the Unix socket only)"},
};
#undef D

#define U struct ora_upstream_conf
static const struct conf_field upstream_fields[] = {
    FIELD(U, "base_url", F_URL, base_url, "\"https://openrouter.ai/api/v1\""),
    FIELD(U, "ca_file", F_PEM_FILE, ca_file, "\"/etc/ora/upstream-ca.pem\""),
    FIELD_LONG(U, "connect_timeout", connect_timeout, 1, "10", NULL),
    FIELD_LONG(U, "catalog_refresh", catalog_refresh, 1, "300", NULL),
    FIELD(U, "referer", F_STRING, referer, "\"https://example.org/\""),
    FIELD(U, "title", F_STRING, title, "\"ora at example.org\""),
    FIELD(U, "user_field", F_USER_FIELD, user_field, "\"name\""),
    FIELD(U, "user_prefix", F_STRING, user_prefix, "\"example.org:\""),
    FIELD_LONG(U, "reconcile_give_up", reconcile_give_up, 1, "86400", NULL),
    FIELD_LONG(U, "retries", retries, 0, "2", "0 never retries"),
    FIELD_LONG(U, "retry_deadline", retry_deadline, 0, "30", "0 never retries"),
    FIELD_LONG(U, "first_byte_timeout", first_byte_timeout, 1, "120", NULL),
    FIELD_LONG(U, "idle_timeout", idle_timeout, 1, "120", NULL),
    FIELD_LONG(U, "circuit_failures", circuit_failures, 0, "5", "0 never opens the circuit"),
    FIELD_LONG(U, "circuit_cooldown", circuit_cooldown, 1, "10", NULL),
    FIELD_LONG(U, "max_in_flight", max_in_flight, 1, "1024", NULL),
};
#undef U

#define R struct ora_role
static const struct conf_field role_fields[] = {
    FIELD_LIST(R, "models", models, n_models, "[ \"openai/gpt-4o-mini\", \"meta-llama/*\" ]", NULL),
    FIELD(R, "default_model", F_MODEL, default_model, "\"openai/gpt-4o-mini\""),
    FIELD_LONG(R, "max_tokens", max_tokens, 0, "4096", "0 means no cap"),
    FIELD_LONG(R, "requests_per_minute", requests_per_minute, 0, "30", "0 means unlimited"),
    FIELD_LONG(R, "concurrent_requests", concurrent_requests, 0, "2", "0 means unlimited"),
    FIELD(R, "budget", F_BUDGET, budget, "{ usd = 5.0; period = \"daily\"; }"),
    FIELD_LIST(R, "fallbacks", fallbacks, n_fallbacks, "[ \"anthropic/claude-3.5-haiku\" ]", NULL),
    {"plugins", F_PLUGINS, offsetof(R, plugins), offsetof(R, n_plugins), 0,
        "[ \"response-healing\", \"web\" ]", NULL},
    FIELD(R, "provider", F_PROVIDER, provider, "{ data_collection = \"deny\"; }"),
};
#undef R

#define C struct ora_cost_centre
static const struct conf_field centre_fields[] = {
    FIELD(C, "key", F_KEY_NAME, key, "\"dev\""),
    FIELD_LIST(C, "models", models, n_models, "[ \"openai/gpt-4o-mini\" ]",
        "(or remove it to allow every model of the role)"),
    FIELD(C, "title", F_STRING, title, "\"ora production jobs\""),
    FIELD(C, "budget", F_BUDGET, budget, "{ usd = 200.0; period = \"monthly\"; }"),
    {"plugins", F_PLUGINS, offsetof(C, plugins), offsetof(C, n_plugins), 0,
        "[ \"web\" ]", NULL},
    FIELD(C, "provider", F_PROVIDER, provider, "{ data_collection = \"deny\"; zdr = true; }"),
};
#undef C

#define RR struct conf_raw_rule
static const struct conf_field rule_fields[] = {
    FIELD(RR, "user", F_NAME, user, "\"alice\""),
    FIELD(RR, "group", F_NAME, group, "\"developers\""),
    FIELD(RR, "everyone", F_BOOL, everyone, "true"),
    FIELD(RR, "role", F_STRING, role, "\"staff\""),
    FIELD(RR, "cost_centre", F_STRING, cost_centre, "\"dev\""),
    FIELD_LIST(RR, "cost_centres", cost_centres, n_cost_centres, "[ \"dev\", \"prod\" ]", NULL),
};
#undef RR

/* Sections the root group may hold; parsed by hand below. */
static const struct conf_field root_fields[] = {
    {"contact", F_STRING, offsetof(struct ora_conf, contact), 0, 0,
        "\"the IT helpdesk (it@example.org)\"", NULL},
    {"daemon", F_STRING, 0, 0, 0, "{ ... }", NULL},
    {"upstream", F_STRING, 0, 0, 0, "{ ... }", NULL},
    {"roles", F_STRING, 0, 0, 0, "{ ... }", NULL},
    {"cost_centres", F_STRING, 0, 0, 0, "{ ... }", NULL},
    {"rules", F_STRING, 0, 0, 0, "( ... )", NULL},
    {"budgets", F_STRING, 0, 0, 0, "{ ... }", NULL},
    {"aliases", F_STRING, 0, 0, 0, "{ fast = \"openai/gpt-4o-mini\"; }", NULL},
    {"policy", F_STRING, 0, 0, 0, "{ pass_fields = [ ... ]; }", NULL},
    {"ledger", F_STRING, 0, 0, 0, "{ backend = \"postgresql\"; conninfo = \"...\"; }", NULL},
};

#define L struct ora_ledger_conf
static const struct conf_field ledger_fields[] = {
    FIELD(L, "backend", F_STRING, backend, "\"postgresql\""),
    FIELD(L, "conninfo", F_STRING, conninfo, "\"host=db.example.org dbname=ora user=ora\""),
    FIELD(L, "host_name", F_STRING, host_name, "\"build-03\""),
    FIELD(L, "password_key", F_KEY_NAME, password_key, "\"ledger-db\""),
    FIELD(L, "unavailable", F_STRING, unavailable, "\"refuse\""),
    FIELD(L, "allowance", F_USD, allowance, "1.00"),
};
#undef L

#define PO struct ora_policy_conf
static const struct conf_field policy_fields[] = {
    {"pass_fields", F_FIELD_NAMES, offsetof(PO, pass_fields), offsetof(PO, n_pass_fields), 0,
        "[ \"new_field\" ]", NULL},
};
#undef PO

#define PP struct ora_provider_prefs
static const struct conf_field provider_fields[] = {
    FIELD(PP, "data_collection", F_DATA_COLLECTION, data_collection, "\"deny\""),
    FIELD(PP, "zdr", F_BOOL, zdr, "true"),
    FIELD_LIST(PP, "only", only, n_only, "[ \"openai\", \"anthropic\" ]",
        "(or remove it to allow every provider)"),
    FIELD_LIST(PP, "ignore", ignore, n_ignore, "[ \"deepinfra\" ]",
        "(or remove it to ignore none)"),
    FIELD(PP, "max_price", F_MAX_PRICE, max_price, "{ prompt = 1.0; completion = 5.0; }"),
};
#undef PP

/* In the order of enum ora_price_part: conf_policy.c maps the bits. */
#define MP struct ora_max_price
static const struct conf_field max_price_fields[] = {
    FIELD(MP, "prompt", F_USD, usd[ORA_PRICE_PROMPT], "1.0"),
    FIELD(MP, "completion", F_USD, usd[ORA_PRICE_COMPLETION], "5.0"),
    FIELD(MP, "request", F_USD, usd[ORA_PRICE_REQUEST], "0.01"),
    FIELD(MP, "image", F_USD, usd[ORA_PRICE_IMAGE], "0.01"),
};
#undef MP

#define BS struct ora_budgets_conf
static const struct conf_field budgets_fields[] = {
    FIELD(BS, "timezone", F_TIMEZONE, timezone, "\"Europe/Zurich\""),
    {"global", F_BUDGET, offsetof(BS, global), 0, 0, "{ usd = 1000.0; period = \"monthly\"; }",
        "budgets.global"},
    {"keys", F_KEY_BUDGETS, offsetof(BS, keys), offsetof(BS, n_keys), 0,
        "{ prod = { usd = 500.0; }; }", NULL},
    {"users", F_USER_BUDGETS, offsetof(BS, users), offsetof(BS, n_users), 0,
        "{ alice = { usd = 50.0; }; }", NULL},
};
#undef BS

/* usd first in each: conf_budget.c checks its bit. The entries of
 * budgets.keys and .users are read into a struct ora_named_budget, and may
 * name a key or user that a libconfig name cannot spell ("john.doe"). */
#define B struct ora_budget
static const struct conf_field budget_fields[] = {
    FIELD(B, "usd", F_USD, limit, "5.0"),
    FIELD(B, "period", F_PERIOD, period, "\"monthly\""),
    FIELD(B, "warn", F_FRACTION, warn, "0.8"),
};
#undef B
#define NB struct ora_named_budget
static const struct conf_field key_budget_fields[] = {
    FIELD(NB, "usd", F_USD, budget.limit, "500.0"),
    FIELD(NB, "period", F_PERIOD, budget.period, "\"monthly\""),
    FIELD(NB, "warn", F_FRACTION, budget.warn, "0.8"),
    FIELD(NB, "key", F_KEY_NAME, name, "\"prod-2024.v2\""),
};
static const struct conf_field user_budget_fields[] = {
    FIELD(NB, "usd", F_USD, budget.limit, "50.0"),
    FIELD(NB, "period", F_PERIOD, budget.period, "\"monthly\""),
    FIELD(NB, "warn", F_FRACTION, budget.warn, "0.8"),
    FIELD(NB, "user", F_NAME, name, "\"john.doe\""),
};
#undef NB

const struct conf_table conf_tables[CONF_N_TABLES] = {
    [CONF_T_ROOT] = {"a top-level setting", root_fields, N_ELEMS(root_fields)},
    [CONF_T_DAEMON] = {"a daemon setting", daemon_fields, N_ELEMS(daemon_fields)},
    [CONF_T_UPSTREAM] = {"an upstream setting", upstream_fields, N_ELEMS(upstream_fields)},
    [CONF_T_ROLE] = {"a role setting", role_fields, N_ELEMS(role_fields)},
    [CONF_T_CENTRE] = {"a cost centre setting", centre_fields, N_ELEMS(centre_fields)},
    [CONF_T_RULE] = {"a rule setting", rule_fields, N_ELEMS(rule_fields)},
    [CONF_T_BUDGETS] = {"a budgets setting", budgets_fields, N_ELEMS(budgets_fields)},
    [CONF_T_BUDGET] = {"a budget setting", budget_fields, N_ELEMS(budget_fields)},
    [CONF_T_KEY_BUDGET] = {"a setting of a budgets.keys entry", key_budget_fields,
        N_ELEMS(key_budget_fields)},
    [CONF_T_USER_BUDGET] = {"a setting of a budgets.users entry", user_budget_fields,
        N_ELEMS(user_budget_fields)},
    [CONF_T_POLICY] = {"a policy setting", policy_fields, N_ELEMS(policy_fields)},
    [CONF_T_LEDGER] = {"a ledger setting", ledger_fields, N_ELEMS(ledger_fields)},
    [CONF_T_PROVIDER] = {"a provider setting", provider_fields, N_ELEMS(provider_fields)},
    [CONF_T_MAX_PRICE] = {"a max_price setting", max_price_fields, N_ELEMS(max_price_fields)},
};

/* Field order in role_fields, for the bits conf_parse_fields returns. */
enum { ROLE_MODELS, ROLE_DEFAULT_MODEL };
enum { CENTRE_KEY };

static void
parse_role(struct conf_loader *ld, const config_setting_t *s, struct ora_role *role)
{
	char *where = ora_xasprintf("in role '%s'", role->name);
	unsigned seen;

	seen = conf_parse_fields(ld, s, where, &conf_tables[CONF_T_ROLE], role);
	free(where);
	if (!(seen & (1u << ROLE_MODELS)))
		conf_diag(ld, CONF_ERROR, s,
		    "role '%s' has no models; add e.g. models = [ \"openai/gpt-4o-mini\" ]; with "
		    "the model patterns it may use",
		    role->name);
	if (!(seen & (1u << ROLE_DEFAULT_MODEL)))
		conf_diag(ld, CONF_ERROR, s,
		    "role '%s' has no default_model; add e.g. default_model = "
		    "\"openai/gpt-4o-mini\"; for requests that name no model",
		    role->name);
	else if (role->default_model != NULL && role->n_models > 0 &&
	         !conf_models_match(role->models, role->n_models, role->default_model))
		conf_diag(ld, CONF_ERROR, config_setting_get_member(s, "default_model"),
		    "default_model '%s' of role '%s' is not allowed by the role's own models; add "
		    "a pattern that matches it or choose one they allow",
		    role->default_model, role->name);
	for (size_t i = 0; i < role->n_fallbacks && role->n_models > 0; i++)
		if (!conf_models_match(role->models, role->n_models, role->fallbacks[i]))
			conf_diag(ld, CONF_ERROR, config_setting_get_member(s, "fallbacks"),
			    "fallback '%s' of role '%s' is not allowed by the role's own models; a "
			    "fallback is a model the role may use: add a pattern for it or drop it",
			    role->fallbacks[i], role->name);
}

static void
parse_roles(struct conf_loader *ld, const config_setting_t *list)
{
	struct ora_conf *conf = ld->conf;
	int n = config_setting_length(list);

	if (n == 0)
		conf_diag(ld, CONF_ERROR, list,
		    "roles is empty; define at least one role, e.g. staff = { models = [ ... ]; "
		    "default_model = \"...\"; };");
	conf->roles = ora_xcalloc((size_t)n, sizeof(*conf->roles));
	conf->n_roles = (size_t)n;
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(list, (unsigned)i);
		struct ora_role *role = &conf->roles[i];

		role->name = ora_xstrdup(config_setting_name(s));
		if (conf_want_type(ld, s, CONFIG_TYPE_GROUP, "a role",
		        "NAME = { models = [ ... ]; default_model = \"...\"; };") == 0)
			parse_role(ld, s, role);
	}
}

static void
parse_centres(struct conf_loader *ld, const config_setting_t *list)
{
	struct ora_conf *conf = ld->conf;
	int n = config_setting_length(list);

	if (n == 0)
		conf_diag(ld, CONF_ERROR, list,
		    "cost_centres is empty; define at least one, e.g. dev = { key = \"dev\"; };");
	conf->centres = ora_xcalloc((size_t)n, sizeof(*conf->centres));
	conf->n_centres = (size_t)n;
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(list, (unsigned)i);
		struct ora_cost_centre *cc = &conf->centres[i];
		char *where;

		cc->name = ora_xstrdup(config_setting_name(s));
		where = ora_xasprintf("in cost centre '%s'", cc->name);
		if (conf_want_type(ld, s, CONFIG_TYPE_GROUP, "a cost centre",
		        "NAME = { key = \"KEYNAME\"; };") == 0 &&
		    !(conf_parse_fields(ld, s, where, &conf_tables[CONF_T_CENTRE], cc) &
		        (1u << CENTRE_KEY)))
			conf_diag(ld, CONF_ERROR, s,
			    "cost centre '%s' has no key; add key = \"NAME\"; naming the upstream "
			    "key that pays (see `oractl key add`)",
			    cc->name);
		free(where);
	}
}

static void
parse_rules(struct conf_loader *ld, const config_setting_t *list)
{
	struct ora_conf *conf = ld->conf;
	int n = config_setting_length(list);

	conf->rules = ora_xcalloc((size_t)n, sizeof(*conf->rules));
	ld->raw_rules = ora_xcalloc((size_t)n, sizeof(*ld->raw_rules));
	conf->n_rules = (size_t)n;
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(list, (unsigned)i);
		struct conf_raw_rule *raw = &ld->raw_rules[i];
		char *where;

		raw->setting = s;
		conf->rules[i].line = (int)config_setting_source_line(s);
		where = ora_xasprintf("in the rule at line %d", conf->rules[i].line);
		if (conf_want_type(ld, s, CONFIG_TYPE_GROUP, "a rule",
		        "{ group = \"NAME\"; role = \"ROLE\"; cost_centre = \"CC\"; }") == 0) {
			raw->seen = conf_parse_fields(ld, s, where, &conf_tables[CONF_T_RULE], raw);
			raw->role_setting = config_setting_get_member(s, "role");
			raw->centres_setting = config_setting_get_member(
			    s, raw->cost_centre != NULL ? "cost_centre" : "cost_centres");
		}
		free(where);
	}
}

/* aliases = { NAME = "model"; ... }: short names clients may use for
 * models. Policy is applied to the model an alias stands for. */
static void
parse_aliases(struct conf_loader *ld, const config_setting_t *group)
{
	int n = config_setting_length(group);

	ld->conf->aliases = ora_xcalloc((size_t)n, sizeof(struct ora_alias));
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
		const char *model = config_setting_get_string(s);
		struct ora_alias *a;

		if (model == NULL || *model == '\0') {
			conf_diag(ld, CONF_ERROR, s,
			    "alias '%s' must name a model as a string, e.g. %s = \"openai/gpt-4o-mini\";",
			    config_setting_name(s), config_setting_name(s));
			continue;
		}
		a = &ld->conf->aliases[ld->conf->n_aliases++];
		a->name = ora_xstrdup(config_setting_name(s));
		a->model = ora_xstrdup(model);
		a->line = (int)config_setting_source_line(s);
	}
}

/* A conninfo that holds a password would put it in the configuration in
 * the clear, readable by whoever reads the file and in every backup of
 * it: the password belongs in the keystore (password_key). */
static int
ledger_conninfo_has_password(const char *conninfo)
{
	const char *p, *at, *colon;

	for (p = conninfo; (p = strstr(p, "password")) != NULL; p++) {
		const char *q = p + strlen("password");

		while (*q == ' ')
			q++;
		if (*q == '=')
			return 1;
	}
	/* A URI: postgresql://user:secret@host/ */
	if ((p = strstr(conninfo, "://")) != NULL && (at = strchr(p + 3, '@')) != NULL &&
	    (colon = memchr(p + 3, ':', (size_t)(at - p - 3))) != NULL)
		return 1;
	return 0;
}

/* Lengths past which a setting of the ledger section is surely a mistake;
 * a host name is a column of every row. */
#define CONF_LEDGER_HOST_NAME_MAX 64

static void
parse_ledger(struct conf_loader *ld, const config_setting_t *s)
{
	struct ora_ledger_conf *l = &ld->conf->ledger;
	int allowance_set = config_setting_get_member(s, "allowance") != NULL;

	conf_parse_fields(ld, s, "in ledger", &conf_tables[CONF_T_LEDGER], l);
	if (l->backend == NULL || strcmp(l->backend, "sqlite") == 0) {
		l->kind = ORA_LEDGER_CONF_SQLITE;
		if (l->conninfo != NULL || l->password_key != NULL || l->unavailable != NULL ||
		    allowance_set)
			conf_diag(ld, CONF_ERROR, s,
			    "ledger: conninfo, password_key, unavailable and allowance are for backend = "
			    "\"postgresql\"; the sqlite ledger is state_dir/ledger.db");
		return;
	}
	if (strcmp(l->backend, "postgresql") != 0) {
		conf_diag(ld, CONF_ERROR, s,
		    "ledger: backend \"%s\" is not one ora knows; write \"sqlite\" (the default) "
		    "or \"postgresql\"",
		    l->backend);
		return;
	}
	l->kind = ORA_LEDGER_CONF_POSTGRESQL;
	/* What admission does with a budget while the database cannot be
	 * reached: refuse, or admit up to a bounded allowance per budget and
	 * charge it when the database is back (doc/design.md says why). */
	if (l->unavailable != NULL && strcmp(l->unavailable, "allowance") == 0) {
		l->allow = 1;
		if (!allowance_set || l->allowance <= 0)
			conf_diag(ld, CONF_ERROR, s,
			    "ledger: unavailable = \"allowance\" needs allowance, the most a host may "
			    "admit on each budget while the database cannot be reached, e.g. "
			    "allowance = 1.00; (USD)");
	} else if (l->unavailable != NULL && strcmp(l->unavailable, "refuse") != 0)
		conf_diag(ld, CONF_ERROR, s,
		    "ledger: unavailable = \"%s\" is not one this ora knows; write \"refuse\" "
		    "(requests with a budget are refused while the database cannot be reached, the "
		    "default) or \"allowance\" (each host admits up to ledger.allowance per budget, "
		    "charged when the database is back)",
		    l->unavailable);
	else if (allowance_set)
		conf_diag(ld, CONF_ERROR, s,
		    "ledger: allowance is for unavailable = \"allowance\"; with \"refuse\" "
		    "nothing is admitted while the database cannot be reached");
#ifndef HAVE_LIBPQ
	conf_diag(ld, CONF_ERROR, s,
	    "ledger: backend \"postgresql\", but this ora was built without PostgreSQL support "
	    "(configure found no libpq): install libpq-dev and rebuild, or use \"sqlite\"");
#endif
	if (l->conninfo == NULL || *l->conninfo == '\0')
		conf_diag(ld, CONF_ERROR, s,
		    "ledger: backend \"postgresql\" needs conninfo, e.g. conninfo = \"host=db.example.org "
		    "dbname=ora user=ora\";");
	else if (ledger_conninfo_has_password(l->conninfo))
		conf_diag(ld, CONF_ERROR, s,
		    "ledger: conninfo holds a password, which would sit in the configuration in the "
		    "clear; remove it, set password_key = \"NAME\"; and seal the password with "
		    "`oractl init --ledger-password`");
	if (l->host_name != NULL) {
		size_t n = strlen(l->host_name);
		int ok = n > 0 && n <= CONF_LEDGER_HOST_NAME_MAX;

		for (size_t i = 0; ok && i < n; i++)
			ok = (unsigned char)l->host_name[i] > ' ' && (unsigned char)l->host_name[i] < 0x7f;
		if (!ok)
			conf_diag(ld, CONF_ERROR, s,
			    "ledger: host_name must be 1 to %d printable characters without spaces",
			    CONF_LEDGER_HOST_NAME_MAX);
	}
}

void
conf_parse_root(struct conf_loader *ld, const config_setting_t *root)
{
	int len = config_setting_length(root);
	int have_roles = 0, have_centres = 0, have_rules = 0;

	for (int i = 0; i < len; i++) {
		const config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
		const char *name = config_setting_name(s);

		if (strcmp(name, "contact") == 0) {
			conf_parse_value(ld, s, "at the top level", &root_fields[0], ld->conf);
		} else if (strcmp(name, "daemon") == 0) {
			if (conf_want_type(ld, s, CONFIG_TYPE_GROUP, "daemon",
			        "daemon = { socket = \"...\"; };") == 0)
				conf_parse_fields(ld, s, "in daemon", &conf_tables[CONF_T_DAEMON],
				    &ld->conf->daemon);
		} else if (strcmp(name, "upstream") == 0) {
			if (conf_want_type(ld, s, CONFIG_TYPE_GROUP, "upstream",
			        "upstream = { base_url = \"...\"; };") == 0)
				conf_parse_fields(ld, s, "in upstream",
				    &conf_tables[CONF_T_UPSTREAM], &ld->conf->upstream);
		} else if (strcmp(name, "roles") == 0) {
			have_roles = 1;
			if (conf_want_type(ld, s, CONFIG_TYPE_GROUP, "roles",
			        "roles = { NAME = { models = [ ... ]; }; };") == 0)
				parse_roles(ld, s);
		} else if (strcmp(name, "cost_centres") == 0) {
			have_centres = 1;
			if (conf_want_type(ld, s, CONFIG_TYPE_GROUP, "cost_centres",
			        "cost_centres = { NAME = { key = \"...\"; }; };") == 0)
				parse_centres(ld, s);
		} else if (strcmp(name, "rules") == 0) {
			have_rules = 1;
			if (conf_want_type(ld, s, CONFIG_TYPE_LIST, "rules",
			        "rules = ( { group = \"NAME\"; role = \"ROLE\"; cost_centre = "
			        "\"CC\"; } );") != 0)
				continue;
			parse_rules(ld, s);
			if (ld->conf->n_rules == 0)
				conf_diag(ld, CONF_ERROR, s,
				    "rules is empty, so nobody may use ora; add at least one rule, "
				    "e.g. ( { group = \"NAME\"; role = \"ROLE\"; cost_centre = "
				    "\"CC\"; } )");
		} else if (strcmp(name, "aliases") == 0) {
			if (conf_want_type(ld, s, CONFIG_TYPE_GROUP, "aliases",
			        "aliases = { fast = \"openai/gpt-4o-mini\"; };") == 0)
				parse_aliases(ld, s);
		} else if (strcmp(name, "policy") == 0) {
			if (conf_want_type(ld, s, CONFIG_TYPE_GROUP, "policy",
			        "policy = { pass_fields = [ \"new_field\" ]; };") == 0)
				conf_parse_fields(ld, s, "in policy", &conf_tables[CONF_T_POLICY],
				    &ld->conf->policy);
		} else if (strcmp(name, "budgets") == 0) {
			if (conf_want_type(ld, s, CONFIG_TYPE_GROUP, "budgets",
			        "budgets = { global = { usd = 1000.0; }; };") == 0)
				conf_parse_fields(ld, s, "in budgets", &conf_tables[CONF_T_BUDGETS],
				    &ld->conf->budgets);
		} else if (strcmp(name, "ledger") == 0) {
			if (conf_want_type(ld, s, CONFIG_TYPE_GROUP, "ledger",
			        "ledger = { backend = \"postgresql\"; conninfo = \"...\"; };") == 0)
				parse_ledger(ld, s);
		} else
			conf_unknown_setting(ld, s, "at the top level", &conf_tables[CONF_T_ROOT]);
	}
	if (!have_roles)
		conf_diag(ld, CONF_ERROR, NULL,
		    "no roles are defined; add roles = { NAME = { models = [ ... ]; default_model "
		    "= \"...\"; }; }; (see ora.conf(5))");
	if (!have_centres)
		conf_diag(ld, CONF_ERROR, NULL,
		    "no cost centres are defined; add cost_centres = { NAME = { key = \"KEYNAME\"; "
		    "}; }; (see ora.conf(5))");
	if (!have_rules)
		conf_diag(ld, CONF_ERROR, NULL,
		    "no rules, so nobody may use ora; add rules = ( { group = \"NAME\"; role = "
		    "\"ROLE\"; cost_centre = \"CC\"; } ); (see ora.conf(5))");
}

void
conf_raw_rule_clear(struct conf_raw_rule *raw)
{
	if (raw == NULL)
		return;
	free(raw->user);
	free(raw->group);
	free(raw->role);
	free(raw->cost_centre);
	for (size_t i = 0; i < raw->n_cost_centres; i++)
		free(raw->cost_centres[i]);
	free(raw->cost_centres);
	memset(raw, 0, sizeof(*raw));
}
