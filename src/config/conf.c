/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * conf.c: reading ora.conf and the life of struct ora_conf.
 *
 * Loading happens in three passes over one libconfig tree: libconfig checks
 * the syntax, conf_parse.c reads each section into the struct (reporting
 * unknown names and wrong types), conf_validate.c checks what refers to
 * what. Every pass keeps going after a problem, so an operator sees all of
 * them in one `orad -t` run instead of fixing one per restart.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"
#include "config/conf.h"
#include "config/conf_internal.h"

static void
diag_append(char ***list, size_t *n, char *msg)
{
	*list = ora_xrealloc(*list, (*n + 1) * sizeof(**list));
	(*list)[(*n)++] = msg;
}

static void diag_vadd(struct conf_loader *ld, enum conf_severity sev, const char *file,
    unsigned line, const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static void
diag_vadd(struct conf_loader *ld, enum conf_severity sev, const char *file, unsigned line,
    const char *fmt, va_list ap)
{
	char *body = NULL, *msg;

	if (vasprintf(&body, fmt, ap) < 0)
		body = ora_xstrdup("(out of memory formatting a message)");
	if (line > 0)
		msg = ora_xasprintf("%s:%u: %s", file, line, body);
	else
		msg = ora_xasprintf("%s: %s", file, body);
	free(body);
	if (sev == CONF_ERROR)
		diag_append(&ld->diag->errors, &ld->diag->n_errors, msg);
	else
		diag_append(&ld->diag->warnings, &ld->diag->n_warnings, msg);
}

static void diag_at(struct conf_loader *ld, const char *file, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
diag_at(struct conf_loader *ld, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(ld, CONF_ERROR, file, line, fmt, ap);
	va_end(ap);
}

void
conf_diag(
    struct conf_loader *ld, enum conf_severity sev, const config_setting_t *s, const char *fmt, ...)
{
	const char *file = ld->path;
	unsigned line = 0;
	char *full = NULL;
	va_list ap;

	if (s != NULL) {
		/* Settings from an @include file carry that file's name, as
		 * written in the directive: make it a path the reader can open. */
		if (config_setting_source_file(s) != NULL)
			file = config_setting_source_file(s);
		if (file[0] != '/' && strcmp(file, ld->path) != 0 && ld->include_dir != NULL)
			file = full = ora_xasprintf("%s/%s", ld->include_dir, file);
		line = config_setting_source_line(s);
	}
	va_start(ap, fmt);
	diag_vadd(ld, sev, file, line, fmt, ap);
	va_end(ap);
	free(full);
}

/* libconfig's own messages say what it saw, not what to do; add that. */
static const char *
syntax_hint(const char *text)
{
	if (text == NULL)
		return "fix the syntax there (see ora.conf(5))";
	if (strstr(text, "duplicate setting") != NULL)
		return "each name may appear only once in its group (roles and cost centres "
		       "included): rename or merge the two";
	if (strstr(text, "mismatched element type") != NULL)
		return "a [ ... ] array holds values of one type: quote every element, or use ( "
		       "... ) for a list of groups";
	if (strstr(text, "syntax error") != NULL)
		return "check this line and the ones before it for a missing ';', '=', '\"', "
		       "bracket or brace (an unclosed one is only noticed further down)";
	return "fix the syntax there (see ora.conf(5))";
}

/*
 * The policy file decides who may spend money and under which key, so a file
 * that any local user can rewrite would let anyone grant themselves any role.
 * Refuse it. Group-writable is left to the operator (a shared admin group is
 * a legitimate set-up).
 */
static int
check_file(struct conf_loader *ld)
{
	struct stat st;
	FILE *f;

	if (stat(ld->path, &st) != 0) {
		diag_at(ld, ld->path, 0,
		    "cannot read the configuration: %s; check the path (the default is %s) or pass "
		    "another with -c",
		    strerror(errno), ORA_DEFAULT_CONF_PATH);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		diag_at(ld, ld->path, 0,
		    "is not a regular file; point -c at the configuration file itself");
		return -1;
	}
	if (st.st_mode & S_IWOTH) {
		diag_at(ld, ld->path, 0,
		    "is writable by every user, who could grant themselves any role; run chmod o-w "
		    "on it");
		return -1;
	}
	/* libconfig reports only "file I/O error": find out why first. */
	if ((f = fopen(ld->path, "r")) == NULL) {
		diag_at(ld, ld->path, 0,
		    "cannot read the configuration: %s; run the check as a user that may read it "
		    "(orad reads it before dropping privileges)",
		    strerror(errno));
		return -1;
	}
	fclose(f);
	return 0;
}

/* Read the file at ld->path, or the text of ora_conf_load_string(). */
static int
read_tree(struct conf_loader *ld, config_t *cfg, const char *string)
{
	char *slash, *full = NULL;
	const char *file, *text;

	if (string != NULL) {
		if (config_read_string(cfg, string) == CONFIG_TRUE)
			return 0;
		text = config_error_text(cfg);
		diag_at(ld, ld->path, (unsigned)config_error_line(cfg), "%s; %s",
		    text != NULL ? text : "parse error", syntax_hint(text));
		return -1;
	}
	if (check_file(ld) != 0)
		return -1;
	/* @include "x.conf" is read next to the main file, not in whatever
	 * directory the daemon happens to run in. */
	ld->include_dir = ora_xstrdup(ld->path);
	if ((slash = strrchr(ld->include_dir, '/')) != NULL) {
		slash[slash == ld->include_dir ? 1 : 0] = '\0';
		config_set_include_dir(cfg, ld->include_dir);
	} else {
		free(ld->include_dir);
		ld->include_dir = NULL;
	}
	if (config_read_file(cfg, ld->path) == CONFIG_TRUE)
		return 0;
	file = config_error_file(cfg);
	text = config_error_text(cfg);
	if (config_error_type(cfg) == CONFIG_ERR_FILE_IO && file == NULL) {
		diag_at(ld, ld->path, 0,
		    "cannot read the configuration; check that it exists and is readable");
		return -1;
	}
	if (file == NULL)
		file = ld->path;
	else if (file[0] != '/' && strcmp(file, ld->path) != 0 && ld->include_dir != NULL)
		file = full = ora_xasprintf("%s/%s", ld->include_dir, file);
	diag_at(ld, file, (unsigned)config_error_line(cfg), "%s; %s",
	    text != NULL ? text : "parse error", syntax_hint(text));
	free(full);
	return -1;
}

/* Every default is an owned copy, so freeing never has to ask where a
 * string came from, and a setting given in the file simply replaces it. */
static void
set_defaults(struct ora_conf *conf)
{
	struct ora_daemon_conf *d = &conf->daemon;
	struct ora_upstream_conf *u = &conf->upstream;

	conf->contact = ora_xstrdup("your system administrator");
	d->socket_path = ora_xstrdup(ORA_DEFAULT_SOCKET_PATH);
	d->socket_mode = 0666;
	d->state_dir = ora_xstrdup(ORA_DEFAULT_STATE_DIR);
	d->master_key = ora_xstrdup(ORA_DEFAULT_MASTER_KEY);
	d->log_level = ora_xstrdup("info");
	d->max_body_bytes = ORA_DEFAULT_MAX_BODY_BYTES;
	d->max_header_bytes = ORA_DEFAULT_MAX_HEADER_BYTES;
	d->header_timeout = ORA_DEFAULT_HEADER_TIMEOUT_S;
	d->request_timeout = ORA_DEFAULT_REQUEST_TIMEOUT_S;
	d->max_connections_per_uid = ORA_DEFAULT_MAX_CONN_PER_UID;
	d->body_timeout = ORA_DEFAULT_BODY_TIMEOUT_S;
	d->keepalive_timeout = ORA_DEFAULT_KEEPALIVE_TIMEOUT_S;
	d->max_pending_bytes = ORA_DEFAULT_MAX_PENDING_BYTES;
	d->shutdown_grace = ORA_DEFAULT_SHUTDOWN_GRACE_S;
	d->ledger = 1;
	d->sandbox = 1;
	u->base_url = ora_xstrdup(ORA_DEFAULT_UPSTREAM);
	u->connect_timeout = ORA_DEFAULT_CONNECT_TIMEOUT_S;
	u->catalog_refresh = ORA_DEFAULT_CATALOG_REFRESH_S;
	u->user_field = ORA_USER_FIELD_NAME;
	/* Empty rather than NULL so users of the field can always format it. */
	u->user_prefix = ora_xstrdup("");
	u->reconcile_give_up = CONF_DEFAULT_RECONCILE_GIVE_UP_S;
	u->retries = ORA_DEFAULT_RETRIES;
	u->retry_deadline = ORA_DEFAULT_RETRY_DEADLINE_S;
	u->first_byte_timeout = ORA_DEFAULT_FIRST_BYTE_TIMEOUT_S;
	u->idle_timeout = ORA_DEFAULT_IDLE_TIMEOUT_S;
	u->circuit_failures = ORA_DEFAULT_CIRCUIT_FAILURES;
	u->circuit_cooldown = ORA_DEFAULT_CIRCUIT_COOLDOWN_S;
	u->max_in_flight = ORA_DEFAULT_MAX_IN_FLIGHT;
	conf->budgets.timezone = ora_xstrdup(CONF_DEFAULT_TIMEZONE);
}

static int
conf_load(const char *path, const char *string, struct ora_conf **out, struct ora_diag *diag)
{
	struct ora_diag scratch = {0};
	struct conf_loader ld = {0};
	struct ora_conf *conf = NULL;
	config_t cfg;
	size_t errors_before;
	int r = -1;

	*out = NULL;
	if (diag == NULL)
		diag = &scratch;
	errors_before = diag->n_errors;
	config_init(&cfg);

	conf = ora_xcalloc(1, sizeof(*conf));
	conf->refcount = 1;
	conf->path = ora_xstrdup(path);
	set_defaults(conf);
	ld.path = conf->path;
	ld.conf = conf;
	ld.diag = diag;

	if (read_tree(&ld, &cfg, string) != 0)
		goto out;
	conf_parse_root(&ld, config_root_setting(&cfg));
	conf_validate(&ld);
	if (diag->n_errors > errors_before)
		goto out;
	*out = conf;
	conf = NULL;
	r = 0;
out:
	if (ld.raw_rules != NULL && ld.conf != NULL) {
		for (size_t i = 0; i < ld.conf->n_rules; i++)
			conf_raw_rule_clear(&ld.raw_rules[i]);
	}
	free(ld.raw_rules);
	free(ld.include_dir);
	free(ld.role_used);
	free(ld.centre_used);
	free(ld.key_budget_settings);
	free(ld.user_budget_settings);
	ora_conf_unref(conf);
	config_destroy(&cfg);
	ora_diag_clear(&scratch);
	return r;
}

int
ora_conf_load(const char *path, struct ora_conf **out, struct ora_diag *diag)
{
	return conf_load(path, NULL, out, diag);
}

int
ora_conf_load_string(
    const char *name, const char *text, struct ora_conf **out, struct ora_diag *diag)
{
	return conf_load(name, text, out, diag);
}

int
conf_models_match(char *const *patterns, size_t n, const char *model)
{
	for (size_t i = 0; i < n; i++) {
		if (ora_glob_match(patterns[i], model))
			return 1;
	}
	return 0;
}

/* The refcount is atomic because a reference may be dropped on a thread
 * other than the one that loaded (a ledger writer, for instance). */
struct ora_conf *
ora_conf_ref(struct ora_conf *conf)
{
	if (conf != NULL)
		__atomic_add_fetch(&conf->refcount, 1, __ATOMIC_RELAXED);
	return conf;
}

static void
free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n && v != NULL; i++)
		free(v[i]);
	free(v);
}

static void
free_named_budgets(struct ora_named_budget *v, size_t n)
{
	for (size_t i = 0; i < n && v != NULL; i++)
		free(v[i].name);
	free(v);
}

static void
free_provider(struct ora_provider_prefs *p)
{
	free_strings(p->only, p->n_only);
	free_strings(p->ignore, p->n_ignore);
}

static void
conf_free(struct ora_conf *conf)
{
	struct ora_daemon_conf *d = &conf->daemon;
	struct ora_upstream_conf *u = &conf->upstream;

	for (size_t i = 0; i < conf->n_roles && conf->roles != NULL; i++) {
		free(conf->roles[i].name);
		free_strings(conf->roles[i].models, conf->roles[i].n_models);
		free_strings(conf->roles[i].fallbacks, conf->roles[i].n_fallbacks);
		free(conf->roles[i].default_model);
		free_strings(conf->roles[i].plugins, conf->roles[i].n_plugins);
		free_provider(&conf->roles[i].provider);
	}
	free(conf->roles);
	for (size_t i = 0; i < conf->n_centres && conf->centres != NULL; i++) {
		free(conf->centres[i].name);
		free(conf->centres[i].key);
		free_strings(conf->centres[i].models, conf->centres[i].n_models);
		free(conf->centres[i].title);
		free_strings(conf->centres[i].plugins, conf->centres[i].n_plugins);
		free_provider(&conf->centres[i].provider);
	}
	free_strings(conf->policy.pass_fields, conf->policy.n_pass_fields);
	free(conf->centres);
	free_named_budgets(conf->budgets.keys, conf->budgets.n_keys);
	free_named_budgets(conf->budgets.users, conf->budgets.n_users);
	free(conf->budgets.timezone);
	for (size_t i = 0; i < conf->n_rules && conf->rules != NULL; i++) {
		free(conf->rules[i].name);
		free(conf->rules[i].centres);
	}
	free(conf->rules);
	for (size_t i = 0; i < conf->n_aliases; i++) {
		free(conf->aliases[i].name);
		free(conf->aliases[i].model);
	}
	free(conf->aliases);
	free(d->socket_path);
	free(d->socket_owner);
	free(d->socket_group);
	free(d->state_dir);
	free(d->master_key);
	free(d->user);
	free(d->group);
	free(d->admin_group);
	free(d->log_level);
	free_strings(d->listen, d->n_listen);
	free(u->base_url);
	free(u->ca_file.path);
	free(u->ca_file.data);
	free(u->referer);
	free(u->title);
	free(u->user_prefix);
	free(conf->ledger.backend);
	free(conf->ledger.conninfo);
	free(conf->ledger.host_name);
	free(conf->ledger.password_key);
	free(conf->ledger.unavailable);
	free(conf->contact);
	free(conf->path);
	free(conf);
}

void
ora_conf_unref(struct ora_conf *conf)
{
	if (conf == NULL)
		return;
	if (__atomic_sub_fetch(&conf->refcount, 1, __ATOMIC_ACQ_REL) == 0)
		conf_free(conf);
}

const struct ora_role *
ora_conf_find_role(const struct ora_conf *conf, const char *name)
{
	if (conf == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < conf->n_roles; i++) {
		if (conf->roles[i].name != NULL && strcmp(conf->roles[i].name, name) == 0)
			return &conf->roles[i];
	}
	return NULL;
}

const struct ora_cost_centre *
ora_conf_find_centre(const struct ora_conf *conf, const char *name)
{
	if (conf == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < conf->n_centres; i++) {
		if (conf->centres[i].name != NULL && strcmp(conf->centres[i].name, name) == 0)
			return &conf->centres[i];
	}
	return NULL;
}

/* Linear scans: a configuration names tens of users and keys, not
 * thousands, and these run once per request. */
const struct ora_budget *
ora_conf_user_budget(const struct ora_conf *conf, const struct ora_role *role, const char *user)
{
	if (conf != NULL && user != NULL) {
		for (size_t i = 0; i < conf->budgets.n_users; i++) {
			if (strcmp(conf->budgets.users[i].name, user) == 0)
				return &conf->budgets.users[i].budget;
		}
	}
	return role != NULL ? &role->budget : NULL;
}

const char *
ora_conf_alias(const struct ora_conf *conf, const char *name)
{
	for (size_t i = 0; i < conf->n_aliases; i++)
		if (strcmp(conf->aliases[i].name, name) == 0)
			return conf->aliases[i].model;
	return NULL;
}

const struct ora_budget *
ora_conf_key_budget(const struct ora_conf *conf, const char *name)
{
	if (conf == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < conf->budgets.n_keys; i++) {
		if (strcmp(conf->budgets.keys[i].name, name) == 0)
			return &conf->budgets.keys[i].budget;
	}
	return NULL;
}

void
ora_diag_clear(struct ora_diag *diag)
{
	if (diag == NULL)
		return;
	free_strings(diag->errors, diag->n_errors);
	free_strings(diag->warnings, diag->n_warnings);
	memset(diag, 0, sizeof(*diag));
}
