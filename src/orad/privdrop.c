/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "common/log.h"
#include "orad/privdrop.h"

int
privdrop(const char *user, const char *group, struct ora_error *err)
{
	struct passwd *pw;
	struct group *gr;
	gid_t gid;

	if (geteuid() != 0)
		return 0;
	if (user == NULL)
		return ora_error_set(err,
		    "started as root but daemon.user is not set: set it to an unprivileged account "
		    "(e.g. user = \"ora\"), since a broker that parses untrusted requests must not "
		    "run as root");
	if ((pw = getpwnam(user)) == NULL)
		return ora_error_set(err, "daemon.user: no user named %s (create it, e.g. useradd "
		    "--system %s)", user, user);
	if (pw->pw_uid == 0)
		return ora_error_set(err, "daemon.user %s is root; choose an unprivileged account", user);
	gid = pw->pw_gid;
	if (group != NULL) {
		if ((gr = getgrnam(group)) == NULL)
			return ora_error_set(err, "daemon.group: no group named %s", group);
		gid = gr->gr_gid;
	}
	if (setgroups(1, &gid) != 0 || setresgid(gid, gid, gid) != 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0)
		return ora_error_set(err, "cannot switch to user %s: %s", user, strerror(errno));
	/* Verify: a drop that can be undone is no drop. */
	if (setuid(0) == 0 || seteuid(0) == 0)
		return ora_error_set(err, "privileges were not dropped: could regain root");
	/* setuid resets the dumpable flag to the system default; make sure a
	 * crash cannot write a core with keys in it, and no one can ptrace us. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	ora_log_info("running as user %s (uid %u, gid %u)", user, (unsigned)pw->pw_uid, (unsigned)gid);
	return 0;
}
