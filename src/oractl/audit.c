/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * audit.c: recording what an administrator did, in the ledger's audit
 * table and in the system log.
 *
 * The ledger is the one orad writes (state_dir/ledger.db). oractl may be
 * the first to open it, right after `oractl init`. Run as root, oractl
 * writes it as the owner of the state directory (orad's user), with that
 * user's effective uid and gid: the ledger and the files SQLite opens
 * beside it (-wal, -shm) then belong to orad's user, and a symbolic link
 * that a compromised orad planted there cannot make root write elsewhere.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "common/util.h"
#include "config/conf.h"
#include "ledger/ledger.h"
#include "oractl/audit.h"
#include "oractl/ledger_target.h"
#include "oractl/oractl.h"

#define AUDIT_WHO_MAX 160
#define AUDIT_DETAIL_MAX 1024
#define AUDIT_SUDO_USER_MAX 64 /* longer SUDO_USER values are not names */
#define AUDIT_GROUPS_MAX 256   /* root's supplementary groups we restore */

/* A name from the environment, kept only if it looks like one. */
static int
audit_plausible_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > AUDIT_SUDO_USER_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

void
oractl_audit_who(char *buf, unsigned long size)
{
	char pwbuf[4096], name[AUDIT_WHO_MAX];
	struct passwd pw, *res = NULL;
	uid_t uid = getuid();
	const char *sudo = getenv("SUDO_USER");

	if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res != NULL)
		snprintf(name, sizeof(name), "%s", res->pw_name);
	else
		snprintf(name, sizeof(name), "uid %lu", (unsigned long)uid);
	if (uid == 0 && sudo != NULL && audit_plausible_name(sudo))
		snprintf(buf, size, "%s (sudo: %s)", name, sudo);
	else
		snprintf(buf, size, "%s", name);
}

/* Root's credentials while it acts as the state directory's owner. */
struct audit_creds {
	int switched;
	gid_t egid;
	gid_t groups[AUDIT_GROUPS_MAX];
	int n_groups;
};

/* As root, take the owner of the state directory as effective user and
 * group (and only group). Not root, or a root-owned directory: nothing to
 * do. */
static int
audit_become_owner(const char *state_dir, struct audit_creds *c, struct ora_error *err)
{
	struct stat dir;

	memset(c, 0, sizeof(*c));
	if (stat(state_dir, &dir) != 0)
		return ora_error_set(err,
		    "cannot use the state directory %s: %s (run `oractl init`)", state_dir,
		    strerror(errno));
	if (geteuid() != 0 || dir.st_uid == 0)
		return 0;
	c->egid = getegid();
	if ((c->n_groups = getgroups(AUDIT_GROUPS_MAX, c->groups)) < 0)
		return ora_error_set(err, "cannot read oractl's groups: %s", strerror(errno));
	if (setgroups(1, &dir.st_gid) != 0 || setegid(dir.st_gid) != 0 ||
	    seteuid(dir.st_uid) != 0) {
		ora_error_set(err, "cannot act as the owner (uid %lu) of %s: %s",
		    (unsigned long)dir.st_uid, state_dir, strerror(errno));
		c->switched = 1; /* restore whatever changed */
		return -1;
	}
	c->switched = 1;
	return 0;
}

/* Back to root. Fatal if it fails: oractl must not go on with credentials
 * it did not mean to have. */
static void
audit_restore(struct audit_creds *c)
{
	if (!c->switched)
		return;
	if (seteuid(0) != 0 || setegid(c->egid) != 0 ||
	    setgroups((size_t)c->n_groups, c->groups) != 0) {
		perror("oractl: cannot restore root's credentials");
		abort();
	}
	c->switched = 0;
}

static int
audit_ledger(const struct ora_conf *conf, const char *who, const char *action, const char *detail,
    struct ora_error *err)
{
	struct ora_ledger_target t;
	struct ora_ledger *l = NULL;
	struct audit_creds creds = {0};
	int ret = -1;

	if (oractl_ledger_target_conf(conf, &t, err) != 0)
		return -1;
	/* A SQLite file is created as the state directory's owner; a
	 * database needs no such care. */
	if ((t.kind == ORA_LEDGER_SQLITE &&
	        audit_become_owner(conf->daemon.state_dir, &creds, err) != 0) ||
	    ora_ledger_open_target(&t, ORA_LEDGER_READ_WRITE, &l, err) != 0 ||
	    ora_ledger_audit(l, (uint32_t)getuid(), who, action, detail, err) != 0 ||
	    ora_ledger_commit(l, err) != 0)
		goto out;
	ret = 0;
out:
	ora_ledger_close(l);
	audit_restore(&creds);
	oractl_ledger_target_clear(&t);
	return ret;
}

void
oractl_audit(struct oractl *ctl, const char *action, const char *fmt, ...)
{
	char who[AUDIT_WHO_MAX], detail[AUDIT_DETAIL_MAX];
	struct ora_error err;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	oractl_audit_who(who, sizeof(who));

	openlog("oractl", LOG_PID, LOG_AUTHPRIV);
	syslog(LOG_NOTICE, "%s: %s (by %s, uid %lu)", action, detail, who, (unsigned long)getuid());
	closelog();

	if (!ctl->conf->daemon.ledger)
		return; /* orad keeps no ledger: the system log is the trail */
	if (audit_ledger(ctl->conf, who, action, detail, &err) != 0)
		oractl_warning("%s was done but not recorded in the ledger's audit trail: %s "
		               "(the system log has it)",
		    action, err.msg);
}
