/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * conf_internal.h: shared by conf.c (file reading, lifecycle), conf_parse.c
 * (sections into struct ora_conf) and conf_validate.c (cross-checks). Not
 * part of the contract: other modules include conf.h only.
 */
#ifndef ORA_CONF_INTERNAL_H
#define ORA_CONF_INTERNAL_H

#include <libconfig.h>

#include "config/conf.h"

/* What a rule names, kept as text until every role and cost centre has been
 * read, so rules can refer to them in any order in the file. */
struct conf_raw_rule {
	char *user;
	char *group;
	int everyone;
	char *role;
	char *cost_centre;
	char **cost_centres;
	size_t n_cost_centres;
	unsigned seen; /* bit per rule field present in the file */
	const config_setting_t *setting;
	const config_setting_t *role_setting;
	const config_setting_t *centres_setting;
};

struct conf_loader {
	const char *path;
	char *include_dir; /* directory of path, for @include */
	struct ora_conf *conf;
	struct ora_diag *diag;
	struct conf_raw_rule *raw_rules; /* parallel to conf->rules */
	/* Which roles and centres some rule grants, parallel to conf->roles
	 * and conf->centres, for the "never used" warnings. */
	unsigned char *role_used;
	unsigned char *centre_used;
	/* Where each of conf->budgets.keys and .users was written, parallel
	 * to them, for the warnings about names nothing uses. */
	const config_setting_t **key_budget_settings;
	const config_setting_t **user_budget_settings;
};

enum conf_severity { CONF_ERROR, CONF_WARNING };

/* One setting a section may hold: how to read it and where it goes. */
enum conf_field_type {
	F_STRING, /* any non-empty string */
	F_PATH,   /* absolute path */
	F_PEM_FILE, /* absolute path of PEM certificates, read: struct ora_conf_file */
	F_SOCKET, /* absolute path short enough for sun_path */
	F_NAME,   /* user or group name */
	F_LONG,   /* integer >= min */
	F_BOOL,
	F_STRINGS, /* non-empty array of non-empty strings */
	F_MODE,    /* octal permission bits as a string */
	F_LOG_LEVEL,
	F_USER_FIELD,
	F_URL,
	F_KEY_NAME,
	F_MODEL, /* one model slug, not a pattern */
	F_LISTEN, /* array of loopback "address:port" (config/listen_addr.h) */
	/* Budgets, read by conf_budget.c; kept together and last, since
	 * conf_parse_value hands the range F_USD..F_USER_BUDGETS over: */
	F_USD,          /* amount in USD, integer or fraction, >= 0: ora_pico */
	F_PERIOD,       /* "daily", ...: enum ora_period */
	F_FRACTION,     /* number in (0, 1]: double */
	F_TIMEZONE,     /* a zone of the system's tzdata */
	F_BUDGET,       /* group { usd; period; warn; }: struct ora_budget */
	F_KEY_BUDGETS,  /* group of budgets by key name: ora_named_budget[] */
	F_USER_BUDGETS, /* group of budgets by user name: ora_named_budget[] */
	/* Admission policy, read by conf_policy.c; kept together and last: */
	F_PLUGINS,         /* array of known plugin ids, may be empty */
	F_FIELD_NAMES,     /* array of request field names, may be empty */
	F_PROVIDER,        /* group: struct ora_provider_prefs */
	F_DATA_COLLECTION, /* "allow" or "deny" */
	F_MAX_PRICE,       /* group of USD amounts: struct ora_max_price */
};

/* Defaults of settings that have no constant in conf.h. */
#define CONF_DEFAULT_TIMEZONE "UTC"
#define CONF_DEFAULT_RECONCILE_GIVE_UP_S 86400

struct conf_field {
	const char *name;
	enum conf_field_type type;
	size_t offset;       /* of the value in the target struct */
	size_t count_offset; /* F_STRINGS: of its size_t count */
	long min;            /* F_LONG */
	const char *example; /* a correct value, shown in hints */
	const char *note;    /* F_LONG: what the smallest value means;
	                        F_STRINGS: what else to do when empty;
	                        F_BUDGET: its place, e.g. "budgets.global",
	                        when it is not "the budget of" the section */
};

/* The settings of one section. */
struct conf_table {
	const char *what; /* "a daemon setting", for misplaced names */
	const struct conf_field *fields;
	size_t n;
};

/* Index of each section's table in conf_tables. */
enum {
	CONF_T_ROOT,
	CONF_T_DAEMON,
	CONF_T_UPSTREAM,
	CONF_T_ROLE,
	CONF_T_CENTRE,
	CONF_T_RULE,
	CONF_T_BUDGETS,     /* the budgets section */
	CONF_T_BUDGET,      /* one budget: usd, period, warn */
	CONF_T_KEY_BUDGET,  /* an entry of budgets.keys (target: named budget) */
	CONF_T_USER_BUDGET, /* an entry of budgets.users (target: named budget) */
	CONF_T_POLICY,      /* the policy section */
	CONF_T_PROVIDER,    /* provider preferences of a role or cost centre */
	CONF_T_MAX_PRICE,   /* provider.max_price */
	CONF_T_LEDGER,      /* the ledger section */
	CONF_N_TABLES
};
extern const struct conf_table conf_tables[CONF_N_TABLES];

/* Bits of conf_raw_rule.seen: the order of the rule table. */
enum {
	CONF_RULE_USER,
	CONF_RULE_GROUP,
	CONF_RULE_EVERYONE,
	CONF_RULE_ROLE,
	CONF_RULE_CENTRE,
	CONF_RULE_CENTRES
};

/* conf_fields.c: read every setting of group into target by the table;
 * unknown names and bad values are reported. Returns a bit per field seen
 * (even if its value was wrong, so it is not also reported as missing).
 * where is e.g. "in role 'staff'". */
unsigned conf_parse_fields(struct conf_loader *ld, const config_setting_t *group, const char *where,
    const struct conf_table *t, void *target);

/* One setting s by field f into target. */
void conf_parse_value(struct conf_loader *ld, const config_setting_t *s, const char *where,
    const struct conf_field *f, void *target);

/* Report s as unknown in table t, with the nearest name as a suggestion;
 * returns the index of the suggested field, or -1. */
int conf_unknown_setting(struct conf_loader *ld, const config_setting_t *s, const char *where,
    const struct conf_table *t);

/* 0 if s has type; else reports "what must be ..." and returns -1. */
int conf_want_type(struct conf_loader *ld, const config_setting_t *s, int type, const char *what,
    const char *example);

/* Append "FILE:LINE: message" to the loader's errors or warnings. s names
 * the place (its own file, for @include); NULL means the file as a whole. */
void conf_diag(struct conf_loader *ld, enum conf_severity sev, const config_setting_t *s,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* conf_parse.c: every section of the root group into ld->conf. */
void conf_parse_root(struct conf_loader *ld, const config_setting_t *root);

/* conf_validate.c: rule references, then warnings for rules that can never
 * match, names unknown to the system and settings nothing uses. */
void conf_validate(struct conf_loader *ld);

void conf_raw_rule_clear(struct conf_raw_rule *raw);

/* conf_budget.c: a value of one of the budget field types (F_USD to
 * F_USER_BUDGETS) whose libconfig type conf_parse_value has checked. */
void conf_parse_budget_value(struct conf_loader *ld, const config_setting_t *s, const char *where,
    const struct conf_field *f, void *target);

/* conf_policy.c: a value of one of the policy field types (F_PLUGINS to
 * F_MAX_PRICE) whose libconfig type conf_parse_value has checked. */
void conf_parse_policy_value(struct conf_loader *ld, const config_setting_t *s, const char *where,
    const struct conf_field *f, void *target);

/* conf_policy.c: errors for rules whose role and cost centre leave no
 * provider (two `only` lists with nothing in common, or everything
 * listed ignored). */
void conf_validate_policy(struct conf_loader *ld);

/* conf_budget.c: warnings for budgets of keys no cost centre uses and of
 * users the system does not know. */
void conf_validate_budgets(struct conf_loader *ld);

/* conf_validate.c: 0 only if the user (or group) database says for sure
 * that there is no such name. */
int conf_name_exists(int is_group, const char *name);

/* 1 if any pattern in a list of n globs matches model. */
int conf_models_match(char *const *patterns, size_t n, const char *model);

#endif
