/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * cmd_init.c: `oractl init [--force]`: the state directory, its keys/
 * directory and the master key.
 *
 * Safe to run again: what exists is kept and reported. It never changes the
 * owner or mode of a directory it did not create, because a mistyped
 * state_dir (say /var/lib) must not be handed to the daemon user; it prints
 * the command to run instead.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "config/conf.h"
#include "keys/keystore.h"
#include "ledger/ledger.h"
#include "oractl/audit.h"
#include "oractl/ledger_target.h"
#include "oractl/oractl.h"

/* Who should own the state directory: orad's user when oractl runs as root
 * and that user exists, else whoever runs oractl. */
struct init_owner {
	int set;
	uid_t uid;
	gid_t gid;
	const char *user;
};

static void
init_find_owner(const struct ora_conf *conf, struct init_owner *o)
{
	const struct ora_daemon_conf *d = &conf->daemon;
	struct passwd *pw;
	struct group *gr;

	memset(o, 0, sizeof(*o));
	if (geteuid() != 0 || d->user == NULL || *d->user == '\0')
		return;
	if ((pw = getpwnam(d->user)) == NULL) {
		oractl_warning("daemon user '%s' does not exist, so %s stays owned by root; create "
		               "the user and run `chown -R %s %s` (before starting orad)",
		    d->user, d->state_dir, d->user, d->state_dir);
		return;
	}
	o->set = 1;
	o->uid = pw->pw_uid;
	o->gid = pw->pw_gid;
	o->user = d->user;
	if (d->group != NULL && *d->group != '\0') {
		if ((gr = getgrnam(d->group)) != NULL)
			o->gid = gr->gr_gid;
		else
			oractl_warning(
			    "daemon group '%s' does not exist; using the primary group of "
			    "'%s'",
			    d->group, d->user);
	}
}

/* Create path (0700, given to the owner) or report that it exists. */
static int
init_dir(const char *path, const char *what, const struct init_owner *o)
{
	struct stat st;
	int fd;

	if (mkdir(path, 0700) == 0) {
		/* Through a descriptor that refuses links, so the chown lands on
		 * the directory just made. */
		if (o->set) {
			fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd == -1 || fchown(fd, o->uid, o->gid) == -1) {
				oractl_error("cannot give %s %s to %s: %s", what, path, o->user,
				    strerror(errno));
				if (fd != -1)
					close(fd);
				return -1;
			}
			close(fd);
		}
		printf("created %s %s (mode 0700%s%s)\n", what, path, o->set ? ", owner " : "",
		    o->set ? o->user : "");
		return 0;
	}
	if (errno != EEXIST) {
		oractl_error("cannot create %s %s: %s%s", what, path, strerror(errno),
		    errno == ENOENT ? " (its parent directory does not exist)" : "");
		return -1;
	}
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		oractl_error("%s %s exists but is not a directory", what, path);
		return -1;
	}
	printf("%s %s exists\n", what, path);
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
		oractl_warning("%s is accessible by group or others (mode 0%o): run chmod 700 %s",
		    path, (unsigned int)(st.st_mode & 07777), path);
	if (o->set && st.st_uid != o->uid)
		oractl_warning("%s is not owned by %s, the user orad runs as: run chown %s %s",
		    path, o->user, o->user, path);
	return 0;
}

/* The master key's directory (usually /etc/ora) normally exists already:
 * the configuration lives there. Create it, root-only, only if missing. */
static int
init_master_dir(const char *master)
{
	char *dir = ora_xstrdup(master), *slash = strrchr(dir, '/');
	int ret = 0;

	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) == 0)
			printf("created directory %s (mode 0700)\n", dir);
		else if (errno != EEXIST) {
			oractl_error("cannot create directory %s for the master key: %s", dir,
			    strerror(errno));
			ret = -1;
		}
	}
	free(dir);
	return ret;
}

/* *done says what happened to the master key, for the audit trail.
 * 1: an existing key was kept (a refusal, exit 3), -1: an error. */
static int
init_master_key(const struct ora_conf *conf, int force, const char **done)
{
	const char *path = conf->daemon.master_key;
	struct ora_secret *master = NULL;
	struct ora_error err;
	struct stat st;
	size_t n_keys = 0;
	int exists = lstat(path, &st) == 0;

	if (exists && !force) {
		/* Kept, but only if it is usable: a broken one must be seen now,
		 * not when orad fails to start. */
		if (ora_master_key_load(path, &master, &err) != 0) {
			oractl_error("%s", err.msg);
			oractl_error(
			    "fix it, or replace it with `oractl init --force` (every stored "
			    "key would become unreadable)");
			return -1;
		}
		ora_secret_free(master);
		*done = "kept";
		printf("master key %s exists; refusing to replace it: every stored key would "
		       "become unreadable. Use --force to replace it anyway\n",
		    path);
		return 1;
	}
	if (init_master_dir(path) != 0)
		return -1;
	if (ora_master_key_create(path, force, &err) != 0) {
		oractl_error("%s", err.msg);
		return -1;
	}
	*done = exists ? "replaced" : "created";
	printf("%s master key %s (mode 0600)\n", *done, path);
	if (oractl_key_names(conf->daemon.state_dir, NULL, &n_keys) != 0)
		return -1;
	if (n_keys == 0)
		printf("next: store an upstream key with `oractl key add NAME < FILE`\n");
	else if (n_keys == 1)
		oractl_warning("the stored key no longer decrypts: add it again with "
		               "`oractl key add --force NAME`");
	else
		oractl_warning("the %zu stored keys no longer decrypt: add each again with "
		               "`oractl key add --force NAME`",
		    n_keys);
	return 0;
}

/* --ledger-password: seal the PostgreSQL ledger's password, read from
 * standard input (or typed with --prompt), under ledger.password_key. */
static int
init_ledger_password(const struct ora_conf *conf, int prompt)
{
	struct ora_secret *master = NULL, *pw = NULL;
	const char *name = conf->ledger.password_key;
	struct ora_error err;
	int ret = -1;

	if (conf->ledger.kind != ORA_LEDGER_CONF_POSTGRESQL || name == NULL) {
		oractl_error("init: --ledger-password needs ledger = { backend = \"postgresql\"; "
		             "password_key = \"NAME\"; } in the configuration");
		return -1;
	}
	if (oractl_read_key(name, prompt, &pw, &err) != 0 ||
	    ora_master_key_load_configured(conf->daemon.master_key, &master, &err) != 0 ||
	    ora_key_seal(master, conf->daemon.state_dir, name, ora_secret_data(pw),
	        ora_secret_len(pw), &err) != 0) {
		oractl_error("init: %s", err.msg);
		goto out;
	}
	printf("sealed the ledger's database password as key '%s'\n", name);
	ret = 0;
out:
	ora_secret_free(pw);
	ora_secret_free(master);
	return ret;
}

/* A PostgreSQL ledger: create its schema in an empty database, or upgrade
 * an older one; one that is newer than this ora is refused. A SQLite
 * ledger is made by orad, at its first start. */
static int
init_ledger(struct oractl *ctl)
{
	struct ora_ledger_target t;
	struct ora_ledger *l = NULL;
	struct ora_error err;
	int before = -1, after, ret = -1;

	if (ctl->conf->ledger.kind != ORA_LEDGER_CONF_POSTGRESQL)
		return 0;
	if (oractl_ledger_target(ctl, &t) != 0)
		return -1;
	/* What the database had, for the message: a read-only open fails on
	 * any version but this ora's. */
	if (ora_ledger_open_target(&t, ORA_LEDGER_READ_ONLY, &l, &err) == 0 &&
	    ora_ledger_schema_version(l, &before, &err) != 0)
		before = -1;
	ora_ledger_close(l);
	l = NULL;
	if (ora_ledger_open_target(&t, ORA_LEDGER_READ_WRITE, &l, &err) != 0 ||
	    ora_ledger_schema_version(l, &after, &err) != 0) {
		oractl_error("init: %s", err.msg);
		goto out;
	}
	if (before == after)
		printf("PostgreSQL ledger: schema version %d, up to date\n", after);
	else
		printf("PostgreSQL ledger: schema version %d, created or upgraded\n", after);
	ret = 0;
out:
	ora_ledger_close(l);
	oractl_ledger_target_clear(&t);
	return ret;
}

int
oractl_cmd_init(struct oractl *ctl, int argc, char **argv)
{
	int force = 0, first, status = ORACTL_EXIT_ERROR, ledger_password = 0, prompt = 0;
	const struct oractl_option options[] = {{"force", &force},
	    {"ledger-password", &ledger_password}, {"prompt", &prompt}, {NULL, NULL}};
	struct init_owner owner;
	char *keys_dir = NULL;
	const char *done = "kept";
	int r;

	if ((first = oractl_parse_options("init", argc, argv, options, &status)) < 0)
		return status;
	if (first != argc) {
		oractl_error("init takes no arguments");
		return oractl_usage("init", 0);
	}
	if (oractl_conf(ctl) != 0)
		return ORACTL_EXIT_ERROR;

	init_find_owner(ctl->conf, &owner);
	keys_dir = ora_key_dir(ctl->conf->daemon.state_dir);
	if (init_dir(ctl->conf->daemon.state_dir, "state directory", &owner) != 0 ||
	    init_dir(keys_dir, "key directory", &owner) != 0 ||
	    (r = init_master_key(ctl->conf, force, &done)) < 0)
		goto out;
	if (ledger_password && init_ledger_password(ctl->conf, prompt) != 0)
		goto out;
	if (init_ledger(ctl) != 0)
		goto out;
	oractl_audit(ctl, "init", "state directory %s; master key %s %s",
	    ctl->conf->daemon.state_dir, ctl->conf->daemon.master_key, done);
	/* Run twice, init says no: scripts learn the key was already there. */
	status = r == 1 ? ORACTL_EXIT_REFUSED : ORACTL_EXIT_OK;
out:
	free(keys_dir);
	return status;
}
