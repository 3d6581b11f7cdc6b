/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * cmd_check.c: `oractl check [-c FILE]`, like `visudo -c` or `nginx -t`.
 *
 * Everything the loader finds (syntax with file:line, unknown settings,
 * undefined roles and cost centres, shadowed rules, users and groups that
 * do not exist), plus what only a look outside the file can tell: keys the
 * cost centres name that are not stored, and model patterns that match
 * nothing in the upstream's catalog. It needs neither orad nor the master
 * key, so it can run before a reload, as any user who can read the file.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <json-c/json.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "config/conf.h"
#include "config/preflight.h"
#include "keys/keystore.h"
#include "oractl/http.h"
#include "oractl/oractl.h"

struct check_counts {
	size_t errors, warnings;
};

static void check_warn(struct check_counts *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
check_warn(struct check_counts *c, const char *fmt, ...)
{
	va_list ap;

	fputs("warning: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	c->warnings++;
}

/* The model ids of the upstream catalog. */
struct check_catalog {
	char **ids;
	size_t n;
};

static void
catalog_clear(struct check_catalog *cat)
{
	oractl_names_free(cat->ids, cat->n);
	cat->ids = NULL;
	cat->n = 0;
}

static int
catalog_fetch(const struct ora_conf *conf, struct check_catalog *cat, struct ora_error *err)
{
	char *url = ora_xasprintf("%s/models", conf->upstream.base_url);
	struct oractl_http_request rq = {"GET", url, NULL, NULL, ORACTL_UPSTREAM_TIMEOUT_S, NULL};
	struct oractl_http_reply rp;
	struct json_object *root = NULL, *data, *id;
	int ret = -1;

	if (oractl_http(&rq, &rp, err) != 0)
		goto out;
	if (rp.status != 200) {
		ora_error_set(err, "%s answered HTTP %ld", url, rp.status);
		goto out;
	}
	if ((root = json_tokener_parse(rp.body)) == NULL ||
	    !json_object_object_get_ex(root, "data", &data) ||
	    !json_object_is_type(data, json_type_array)) {
		ora_error_set(err, "%s did not answer a model list ({\"data\":[...]})", url);
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(data); i++) {
		struct json_object *m = json_object_array_get_idx(data, i);
		if (!json_object_object_get_ex(m, "id", &id) ||
		    !json_object_is_type(id, json_type_string))
			continue;
		cat->ids = ora_xrealloc(cat->ids, (cat->n + 1) * sizeof(*cat->ids));
		cat->ids[cat->n++] = ora_xstrdup(json_object_get_string(id));
	}
	if (cat->n == 0) {
		ora_error_set(err, "%s lists no models", url);
		goto out;
	}
	ret = 0;
out:
	json_object_put(root);
	oractl_http_reply_clear(&rp);
	free(url);
	return ret;
}

static int
catalog_matches(const struct check_catalog *cat, const char *pattern)
{
	for (size_t i = 0; i < cat->n; i++)
		if (ora_glob_match(pattern, cat->ids[i]))
			return 1;
	return 0;
}

static void
check_patterns(struct check_counts *c, const struct ora_conf *conf, const struct check_catalog *cat,
    const char *what, const char *name, char *const *models, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!catalog_matches(cat, models[i]))
			check_warn(c,
			    "%s: %s '%s': model pattern '%s' matches no model in the upstream's "
			    "catalog (%zu models at %s/models); check the spelling, or remove it",
			    conf->path, what, name, models[i], cat->n, conf->upstream.base_url);
}

/* An exact model name (a default model, an alias) that the catalog lacks. */
static void
check_model(struct check_counts *c, const struct ora_conf *conf, const struct check_catalog *cat,
    const char *where, const char *model)
{
	for (size_t i = 0; i < cat->n; i++)
		if (strcmp(cat->ids[i], model) == 0)
			return;
	check_warn(c,
	    "%s: %s is '%s', which is not in the upstream's catalog; requests for it will fail "
	    "upstream",
	    conf->path, where, model);
}

static void
check_catalog(struct check_counts *c, const struct ora_conf *conf)
{
	struct check_catalog cat = {NULL, 0};
	struct ora_error err;
	char where[ORA_ERROR_MAX];

	if (catalog_fetch(conf, &cat, &err) != 0) {
		printf("note: catalog not checked: %s\n", err.msg);
		return;
	}
	for (size_t i = 0; i < conf->n_roles; i++) {
		const struct ora_role *r = &conf->roles[i];
		const char *def = r->default_model;

		check_patterns(c, conf, &cat, "role", r->name, r->models, r->n_models);
		if (def != NULL) {
			if (ora_conf_alias(conf, def) != NULL)
				def = ora_conf_alias(conf, def);
			snprintf(where, sizeof(where), "the default_model of role '%s'", r->name);
			check_model(c, conf, &cat, where, def);
		}
	}
	for (size_t i = 0; i < conf->n_centres; i++)
		check_patterns(c, conf, &cat, "cost centre", conf->centres[i].name,
		    conf->centres[i].models, conf->centres[i].n_models);
	for (size_t i = 0; i < conf->n_aliases; i++) {
		snprintf(where, sizeof(where), "line %d: alias '%s'", conf->aliases[i].line,
		    conf->aliases[i].name);
		check_model(c, conf, &cat, where, conf->aliases[i].model);
	}
	printf("note: model patterns checked against %zu models at %s/models\n", cat.n,
	    conf->upstream.base_url);
	catalog_clear(&cat);
}

/* Every key a cost centre names must be stored, or orad will not start
 * (or reload). Without permission to look, say so and move on. */
static void
check_keys(struct check_counts *c, const struct ora_conf *conf)
{
	const char *state = conf->daemon.state_dir;
	char *dir = ora_key_dir(state), *path;
	struct stat st;
	size_t i, j;

	if (stat(dir, &st) != 0 && errno == EACCES) {
		printf("note: stored keys not checked: cannot look into %s (permission denied; run "
		       "as root)\n",
		    dir);
		free(dir);
		return;
	}
	for (i = 0; i < conf->n_centres; i++) {
		const char *key = conf->centres[i].key;

		if (key == NULL)
			continue;
		for (j = 0; j < i; j++) /* one message per key */
			if (conf->centres[j].key != NULL && strcmp(conf->centres[j].key, key) == 0)
				break;
		if (j < i)
			continue;
		if (ora_key_is_management(state, key))
			check_warn(c,
			    "%s: cost centre '%s' pays with key '%s', which is an OpenRouter "
			    "management key: it cannot serve requests, and orad will not start or "
			    "reload with it",
			    conf->path, conf->centres[i].name, key);
		path = ora_key_path(state, key);
		if (lstat(path, &st) != 0 && (errno == ENOENT || errno == ENOTDIR))
			check_warn(c,
			    "%s: cost centre '%s' pays with key '%s', which is not stored (no %s); "
			    "orad will not start or reload without it: run `oractl key add %s < "
			    "FILE`",
			    conf->path, conf->centres[i].name, key, path, key);
		else if (lstat(path, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
			check_warn(c,
			    "%s: key file %s is open to group or others (mode 0%o); orad will "
			    "refuse "
			    "it: run chmod 600 %s",
			    conf->path, path, (unsigned)(st.st_mode & 07777), path);
		free(path);
	}
	free(dir);
}

/* Names in the daemon section that must exist for orad to start or for
 * admins to be recognised. */
static void
check_accounts(struct check_counts *c, const struct ora_conf *conf)
{
	const struct ora_daemon_conf *d = &conf->daemon;

	if (d->admin_group != NULL && getgrnam(d->admin_group) == NULL)
		check_warn(c,
		    "%s: daemon.admin_group '%s' does not exist on this system, so only root may "
		    "use orad's admin commands (oractl reload, status, metrics): create it with "
		    "groupadd %s",
		    conf->path, d->admin_group, d->admin_group);
	if (d->user != NULL && getpwnam(d->user) == NULL)
		check_warn(c,
		    "%s: daemon.user '%s' does not exist on this system; orad started as root will "
		    "refuse to run: create it (useradd --system %s)",
		    conf->path, d->user, d->user);
}

static void
check_preflight_report(void *arg, const char *msg)
{
	struct check_counts *c = arg;

	printf("error: %s\n", msg);
	c->errors++;
}

/* What orad needs to start, as `orad -t` checks it, when this user can see
 * it: the master key (or its credential) readable, so the keys too. 1 when
 * it ran. */
static int
check_startup(struct check_counts *c, const struct ora_conf *conf)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	char *cred = dir != NULL && *dir == '/' ?
	    ora_xasprintf("%s/%s", dir, ORA_MASTER_KEY_CREDENTIAL) : NULL;
	const char *master = cred != NULL && access(cred, F_OK) == 0 ? cred : conf->daemon.master_key;
	int can = access(master, R_OK) == 0 || errno != EACCES;

	if (!can)
		printf("note: what orad needs to start was not checked: %s is not readable by you "
		       "(run as root, or `orad -t`)\n", master);
	free(cred);
	if (can)
		ora_preflight(conf, check_preflight_report, c);
	return can;
}

static const struct option check_options[] = {
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int
oractl_cmd_check(struct oractl *ctl, int argc, char **argv)
{
	struct ora_diag diag = {NULL, 0, NULL, 0};
	struct check_counts counts = {0, 0};
	struct ora_conf *conf = NULL;
	int c;

	optind = 0; /* glibc: start afresh on this argv */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hc:", check_options, NULL)) != -1) {
		switch (c) {
		case 'h':
			return oractl_usage("check", 1);
		case 'c':
			ctl->conf_path = optarg;
			break;
		case ':':
			oractl_error("check: -c needs a configuration file");
			return oractl_usage("check", 0);
		default:
			oractl_error("check: unknown option '%s'", argv[optind - 1]);
			return oractl_usage("check", 0);
		}
	}
	if (optind != argc) {
		oractl_error("check takes no arguments (the file is given with -c FILE)");
		return oractl_usage("check", 0);
	}

	printf("checking %s\n", ctl->conf_path);
	if (ora_conf_load(ctl->conf_path, &conf, &diag) != 0 && diag.n_errors == 0)
		printf("error: %s: cannot load the configuration\n", ctl->conf_path);
	for (size_t i = 0; i < diag.n_errors; i++)
		printf("error: %s\n", diag.errors[i]);
	for (size_t i = 0; i < diag.n_warnings; i++)
		printf("warning: %s\n", diag.warnings[i]);
	counts.errors = conf == NULL && diag.n_errors == 0 ? 1 : diag.n_errors;
	counts.warnings = diag.n_warnings;
	ora_diag_clear(&diag);

	if (conf != NULL) {
		ctl->conf = conf; /* released by main */
		check_accounts(&counts, conf);
		if (!check_startup(&counts, conf))
			check_keys(&counts, conf);
		check_catalog(&counts, conf);
	}

	if (counts.errors > 0) {
		printf("%zu error%s", counts.errors, counts.errors == 1 ? "" : "s");
		if (counts.warnings > 0)
			printf(", %zu warning%s", counts.warnings, counts.warnings == 1 ? "" : "s");
		printf("\n");
		return ORACTL_EXIT_ERROR;
	}
	if (counts.warnings > 0)
		printf("configuration OK (%zu warning%s)\n", counts.warnings,
		    counts.warnings == 1 ? "" : "s");
	else
		printf("configuration OK\n");
	fprintf(stderr, "oractl: configuration file %s test is successful\n", ctl->conf_path);
	return ORACTL_EXIT_OK;
}
