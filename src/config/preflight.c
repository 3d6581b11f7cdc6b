/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "config/preflight.h"
#include "keys/keystore.h"

struct preflight {
	ora_preflight_report report;
	void *arg;
	size_t failures;
};

static void preflight_fail(struct preflight *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
preflight_fail(struct preflight *p, const char *fmt, ...)
{
	char msg[ORA_ERROR_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->report(p->arg, msg);
	p->failures++;
}

/* The uid that will own the state: daemon.user when orad starts as root
 * (it drops to it), else whoever runs orad. */
static int
preflight_owner(const struct ora_daemon_conf *dc, uid_t *uid, const char **name)
{
	struct passwd *pw;

	*uid = geteuid();
	*name = NULL;
	if (*uid != 0 || dc->user == NULL || *dc->user == '\0')
		return 0;
	if ((pw = getpwnam(dc->user)) == NULL)
		return -1;
	*uid = pw->pw_uid;
	*name = dc->user;
	return 0;
}

static void
preflight_state_dir(struct preflight *p, const struct ora_daemon_conf *dc)
{
	struct stat st;
	const char *name;
	uid_t uid;

	if (stat(dc->state_dir, &st) != 0) {
		preflight_fail(p, "state directory %s: %s; create it with `oractl init`", dc->state_dir,
		    strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		preflight_fail(p, "state directory %s is not a directory", dc->state_dir);
		return;
	}
	if (geteuid() == 0 && (dc->user == NULL || *dc->user == '\0')) {
		preflight_fail(p, "orad started as root needs daemon.user, the account it drops to");
		return;
	}
	if (preflight_owner(dc, &uid, &name) != 0) {
		preflight_fail(p, "daemon.user %s does not exist; create it (the package's sysusers.d "
		                  "file does: systemd-sysusers)", dc->user);
		return;
	}
	if (st.st_uid != uid)
		preflight_fail(p,
		    "state directory %s is owned by uid %lu, but orad will run as %s (uid %lu): "
		    "run chown -R %s %s",
		    dc->state_dir, (unsigned long)st.st_uid, name != NULL ? name : "this user",
		    (unsigned long)uid, name != NULL ? name : "$(id -un)", dc->state_dir);
}

/* orad binds the socket itself unless systemd hands it one, in a
 * directory that must be there (orad does not make it: under systemd,
 * RuntimeDirectory= or tmpfiles.d does) and writable. */
static void
preflight_socket_dir(struct preflight *p, const struct ora_daemon_conf *dc)
{
	char *dir = ora_xstrdup(dc->socket_path), *slash = strrchr(dir, '/');
	struct stat st;

	if (getenv("LISTEN_FDS") != NULL || slash == NULL)
		goto out;
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &st) != 0)
		preflight_fail(p,
		    "daemon.socket: the directory of %s, %s, does not exist (%s): create it "
		    "(install -d -m 0755 %s), or let systemd do it (RuntimeDirectory=ora, tmpfiles.d)",
		    dc->socket_path, dir, strerror(errno), dir);
	else if (!S_ISDIR(st.st_mode))
		preflight_fail(p, "daemon.socket: %s is not a directory", dir);
	else if (access(dir, W_OK | X_OK) != 0)
		preflight_fail(p, "daemon.socket: cannot create the socket in %s: %s", dir,
		    strerror(errno));
out:
	free(dir);
}

static void
preflight_keys(struct preflight *p, const struct ora_conf *conf)
{
	const struct ora_daemon_conf *dc = &conf->daemon;
	struct ora_secret *master = NULL, *key = NULL;
	struct ora_error err;

	if (ora_keystore_init(&err) != 0) {
		preflight_fail(p, "%s", err.msg);
		return;
	}
	if (ora_master_key_load_configured(dc->master_key, &master, &err) != 0) {
		preflight_fail(p, "master key: %s; `oractl init` creates it", err.msg);
		return;
	}
	for (size_t i = 0; i < conf->n_centres; i++) {
		const struct ora_cost_centre *c = &conf->centres[i];
		char *path = ora_key_path(dc->state_dir, c->key);

		if (ora_key_is_management(dc->state_dir, c->key))
			preflight_fail(p,
			    "cost centre %s names key '%s', which is an OpenRouter management key: "
			    "it cannot serve requests; name a key made with `oractl key provision`",
			    c->name, c->key);
		else if (access(path, F_OK) != 0 && errno == ENOENT)
			preflight_fail(p,
			    "cost centre %s names key '%s', which is not stored (%s): run "
			    "`oractl key add %s` with the key on standard input",
			    c->name, c->key, path, c->key);
		else if (ora_key_open(master, dc->state_dir, c->key, &key, &err) != 0)
			preflight_fail(p, "cost centre %s: %s", c->name, err.msg);
		ora_secret_free(key);
		key = NULL;
		free(path);
	}
	ora_secret_free(master);
}

size_t
ora_preflight(const struct ora_conf *conf, ora_preflight_report report, void *arg)
{
	struct preflight p = {report, arg, 0};

	preflight_state_dir(&p, &conf->daemon);
	preflight_socket_dir(&p, &conf->daemon);
	preflight_keys(&p, conf);
	return p.failures;
}
