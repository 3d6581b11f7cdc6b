/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * cmd_key.c: `oractl key add` and `oractl key list` (rotate, rm and check
 * are in cmd_key_more.c; management keys, provisioning and OpenRouter's
 * side of `key list` in cmd_key_provision.c and cmd_key_limits.c).
 *
 * A key is never taken from the command line (it would show in ps and in
 * shell history) and never printed: admins compare keys by fingerprint.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "config/conf.h"
#include "keys/keystore.h"
#include "oractl/audit.h"
#include "oractl/mgmt.h"
#include "oractl/oractl.h"

#define KEY_SUFFIX ".key"
#define LIST_TIME_FORMAT "%Y-%m-%d %H:%M"
#define LIST_TIME_MAX 32

static int
names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
oractl_names_free(char **names, size_t n)
{
	size_t i;

	if (names == NULL)
		return;
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int
oractl_key_names(const char *state_dir, char ***names, size_t *n)
{
	char *dir = ora_key_dir(state_dir), **v = NULL, *name;
	struct dirent *de;
	size_t len, count = 0;
	DIR *d;

	if (names != NULL)
		*names = NULL;
	*n = 0;
	if ((d = opendir(dir)) == NULL) {
		free(dir);
		if (errno == ENOENT)
			return 0;
		oractl_error("cannot list %s/keys: %s", state_dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= strlen(KEY_SUFFIX) ||
		    strcmp(de->d_name + len - strlen(KEY_SUFFIX), KEY_SUFFIX) != 0)
			continue;
		name = ora_xstrdup(de->d_name);
		name[len - strlen(KEY_SUFFIX)] = '\0';
		/* Temporary files of an interrupted write start with '.', which
		 * no key name does. */
		if (!ora_key_name_valid(name)) {
			free(name);
			continue;
		}
		v = ora_xrealloc(v, (count + 1) * sizeof(*v));
		v[count++] = name;
	}
	closedir(d);
	free(dir);
	if (count > 0)
		qsort(v, count, sizeof(*v), names_cmp);
	*n = count;
	if (names != NULL)
		*names = v;
	else
		oractl_names_free(v, count);
	return 0;
}

char *
oractl_key_users(const struct ora_conf *conf, const char *name)
{
	char *list = NULL, *longer;
	size_t i;

	for (i = 0; i < conf->n_centres; i++) {
		if (conf->centres[i].key == NULL || strcmp(conf->centres[i].key, name) != 0)
			continue;
		longer = list == NULL ? ora_xstrdup(conf->centres[i].name)
		                      : ora_xasprintf("%s, %s", list, conf->centres[i].name);
		free(list);
		list = longer;
	}
	return list;
}

int
oractl_key_store(const struct ora_conf *conf, const struct ora_secret *master, const char *name,
    int prompt, char *fingerprint)
{
	struct ora_secret *key = NULL;
	struct ora_error err;
	int shape, ret = -1;

	if (oractl_read_key(name, prompt, &key, &err) != 0) {
		oractl_error("%s", err.msg);
		goto out;
	}
	shape = ora_key_check_shape(ora_secret_data(key), ora_secret_len(key), &err);
	if (shape < 0) {
		oractl_error("refusing key '%s': %s", name, err.msg);
		goto out;
	}
	if (shape > 0)
		oractl_warning("key '%s': %s", name, err.msg);
	if (ora_key_seal(master, conf->daemon.state_dir, name, ora_secret_data(key),
	        ora_secret_len(key), &err) != 0) {
		oractl_error("%s", err.msg);
		goto out;
	}
	ora_key_fingerprint(key, fingerprint);
	ret = 0;
out:
	ora_secret_free(key);
	return ret;
}

static int
key_add(struct oractl *ctl, int argc, char **argv)
{
	int force = 0, prompt = 0, management = 0, first, status = ORACTL_EXIT_ERROR;
	const struct oractl_option options[] = {
	    {"force", &force}, {"prompt", &prompt}, {"management", &management}, {NULL, NULL}};
	struct ora_secret *master = NULL;
	char fingerprint[ORA_KEY_FINGERPRINT_HEX + 1], *path = NULL, *users = NULL;
	const struct ora_daemon_conf *d;
	const char *name;
	struct ora_error err;
	struct stat st;

	if ((first = oractl_parse_options("key", argc, argv, options, &status)) < 0)
		return status;
	if (argc - first != 1) {
		oractl_error("key add takes one NAME; the key itself is read from standard input");
		return oractl_usage("key", 0);
	}
	name = argv[first];
	if (!ora_key_name_valid(name)) {
		oractl_error("'%s' is not a valid key name: use 1-64 letters, digits, '_', '.' or "
		             "'-', not starting with '.'",
		    name);
		return ORACTL_EXIT_USAGE;
	}
	if (management)
		return oractl_key_add_management(ctl, name, force, prompt);
	if (oractl_conf(ctl) != 0)
		return ORACTL_EXIT_ERROR;
	d = &ctl->conf->daemon;
	free(path);
	path = ora_key_path_kind(d->state_dir, ORA_KEY_MANAGEMENT, name);
	if (lstat(path, &st) == 0) {
		oractl_error("'%s' is a management key; give the upstream key another name", name);
		goto out;
	}
	free(path);
	path = NULL;

	/* Checked before the key is read, so nobody pastes a key for nothing;
	 * seal replaces atomically, so a race here only replaces a key the
	 * admin asked to add. */
	path = ora_key_path(d->state_dir, name);
	if (!force && lstat(path, &st) == 0) {
		oractl_error("key '%s' exists (%s); refusing to replace it. Use `oractl key rotate "
		             "%s` to replace it, or --force to overwrite it",
		    name, path, name);
		goto out;
	}
	if (ora_master_key_load_configured(d->master_key, &master, &err) != 0) {
		oractl_error("%s", err.msg);
		goto out;
	}
	if (oractl_key_store(ctl->conf, master, name, prompt, fingerprint) != 0)
		goto out;
	printf("key '%s' stored (fingerprint %s)\n", name, fingerprint);
	oractl_audit(ctl, "key add", "key '%s' stored%s, fingerprint %s", name,
	    force ? " (--force)" : "", fingerprint);
	if ((users = oractl_key_users(ctl->conf, name)) == NULL)
		printf("note: no cost centre in %s uses key '%s' yet\n", ctl->conf->path, name);
	status = ORACTL_EXIT_OK;
out:
	ora_secret_free(master);
	free(users);
	free(path);
	return status;
}

/* One line of `key list`. Stored keys are opened to compute their
 * fingerprint; the opened key is freed (and wiped) at once. */
static int
list_one(const struct ora_conf *conf, const struct ora_secret *master, const char *name, int width)
{
	char when[LIST_TIME_MAX] = "-", fp[ORA_KEY_FINGERPRINT_HEX + 1] = "missing";
	char *path = ora_key_path(conf->daemon.state_dir, name),
	     *users = oractl_key_users(conf, name);
	struct ora_secret *key = NULL;
	struct ora_error err;
	struct stat st;
	struct tm tm;
	int ret = 0;

	if (lstat(path, &st) == 0) {
		if (localtime_r(&st.st_mtime, &tm) != NULL)
			strftime(when, sizeof(when), LIST_TIME_FORMAT, &tm);
		if (ora_key_open(master, conf->daemon.state_dir, name, &key, &err) == 0) {
			ora_key_fingerprint(key, fp);
		} else {
			ora_strlcpy(fp, "ERROR", sizeof(fp));
			ret = -1;
		}
	}
	printf("%-*s  %-16s  %-11s  %s\n", width, name, when, fp, users ? users : "-");
	if (ret != 0)
		oractl_error("%s", err.msg);
	else if (key == NULL)
		oractl_warning("key '%s' is used by the configuration but not stored: add it with "
		               "`oractl key add %s`",
		    name, name);
	ora_secret_free(key);
	free(users);
	free(path);
	return ret;
}

static int
key_list(struct oractl *ctl, int argc, char **argv)
{
	struct ora_secret *master = NULL;
	char **names = NULL;
	size_t i, j, n = 0, len;
	struct ora_error err;
	int first, local = 0, status = ORACTL_EXIT_ERROR, width = (int)strlen("NAME");
	const struct oractl_option options[] = {{"local", &local}, {NULL, NULL}};

	if ((first = oractl_parse_options("key", argc, argv, options, &status)) < 0)
		return status;
	if (first != argc) {
		oractl_error("key list takes no arguments");
		return oractl_usage("key", 0);
	}
	if (oractl_conf(ctl) != 0)
		return ORACTL_EXIT_ERROR;
	if (ora_master_key_load_configured(ctl->conf->daemon.master_key, &master, &err) != 0) {
		oractl_error("%s", err.msg);
		oractl_error("(key list opens each key to show its fingerprint, so it needs the "
		             "master key)");
		goto out;
	}
	if (oractl_key_names(ctl->conf->daemon.state_dir, &names, &n) != 0)
		goto out;
	/* Keys the configuration names but nobody has stored yet are listed
	 * too: those are what would stop orad from starting. */
	for (i = 0; i < ctl->conf->n_centres; i++) {
		const char *k = ctl->conf->centres[i].key;
		if (k == NULL)
			continue;
		for (j = 0; j < n && strcmp(names[j], k) != 0; j++)
			;
		if (j == n) {
			names = ora_xrealloc(names, (n + 1) * sizeof(*names));
			names[n++] = ora_xstrdup(k);
		}
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), names_cmp);
	for (i = 0; i < n; i++)
		if ((len = strlen(names[i])) > (size_t)width)
			width = (int)len;

	status = ORACTL_EXIT_OK;
	printf("%-*s  %-16s  %-11s  %s\n", width, "NAME", "CREATED", "FINGERPRINT",
	    "USED BY (COST CENTRES)");
	for (i = 0; i < n; i++)
		if (list_one(ctl->conf, master, names[i], width) != 0)
			status = ORACTL_EXIT_ERROR;
	if (n == 0)
		printf("(no keys: add one with `oractl key add NAME < FILE`)\n");
	else if (!local)
		oractl_key_list_limits(ctl, master, names, n);
out:
	oractl_names_free(names, n);
	ora_secret_free(master);
	return status;
}

int
oractl_cmd_key(struct oractl *ctl, int argc, char **argv)
{
	if (argc < 2) {
		oractl_error("key needs a subcommand: add, list, rotate, rm, check or provision");
		return oractl_usage("key", 0);
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		return oractl_usage("key", 1);
	if (strcmp(argv[1], "add") == 0)
		return key_add(ctl, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return key_list(ctl, argc - 1, argv + 1);
	if (strcmp(argv[1], "rotate") == 0)
		return oractl_key_rotate(ctl, argc - 1, argv + 1);
	if (strcmp(argv[1], "rm") == 0)
		return oractl_key_rm(ctl, argc - 1, argv + 1);
	if (strcmp(argv[1], "check") == 0)
		return oractl_key_check(ctl, argc - 1, argv + 1);
	if (strcmp(argv[1], "provision") == 0)
		return oractl_key_provision(ctl, argc - 1, argv + 1);
	oractl_error(
	    "unknown key subcommand '%s' (add, list, rotate, rm, check or provision)", argv[1]);
	return oractl_usage("key", 0);
}
