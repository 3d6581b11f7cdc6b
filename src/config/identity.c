/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * identity.c: who is on the other end of a socket, from the kernel and NSS.
 *
 * Nothing here is cached. Access is granted by group membership, and an
 * operator who removes someone from a group expects the next request to be
 * refused, not one a cache lifetime later. Resolving costs a few NSS
 * look-ups per connection (measured at about 25 microseconds for a user in
 * one group with the files backend), which is nothing next to an upstream
 * round trip; a site whose directory (LDAP, SSSD) is slow already has nscd
 * or sssd caching in front of it, with a lifetime the operator chose.
 *
 * Only the reentrant _r functions are used: orad may resolve on more than
 * one thread, and getpwuid() and friends share static buffers.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "common/util.h"
#include "config/identity.h"

/* Starting size for NSS buffers, and the most we grow to on ERANGE: a group
 * with tens of thousands of members needs a few hundred KiB, and a bound
 * keeps a corrupt directory entry from eating memory. */
#define NSS_BUF_START 4096
#define NSS_BUF_MAX (16u * 1024 * 1024)
/* Most groups we accept for one user; Linux's NGROUPS_MAX is 65536. */
#define GROUPS_MAX 65536

struct nss_buf {
	char *p;
	size_t size;
};

static int
nss_buf_grow(struct nss_buf *b)
{
	size_t size = b->size == 0 ? NSS_BUF_START : b->size * 2;

	if (size > NSS_BUF_MAX)
		return -1;
	b->p = ora_xrealloc(b->p, size);
	b->size = size;
	return 0;
}

/* The user's name, or an error when uid has no entry: a caller the system
 * cannot name matches no user rule and no group by name, and is denied. */
static int
resolve_user(uid_t uid, struct nss_buf *b, struct passwd *pw, struct ora_error *err)
{
	struct passwd *res = NULL;
	int r;

	if (b->size == 0)
		(void)nss_buf_grow(b); /* the first size is always allowed */
	for (;;) {
		r = getpwuid_r(uid, pw, b->p, b->size, &res);
		if (r != ERANGE)
			break;
		if (nss_buf_grow(b) != 0)
			return ora_error_set(err,
			    "the user entry for uid %lu is larger than %u bytes; check the user "
			    "database",
			    (unsigned long)uid, NSS_BUF_MAX);
	}
	if (r != 0)
		return ora_error_set(err,
		    "cannot look up uid %lu: %s; check the user database (nsswitch.conf)",
		    (unsigned long)uid, strerror(r));
	if (res == NULL)
		return ora_error_set(err,
		    "uid %lu has no user entry; a caller must be a known user", (unsigned long)uid);
	if (strlen(pw->pw_name) >= ORA_NAME_MAX)
		/* Truncating could turn one user's name into another's. */
		return ora_error_set(err, "the name of uid %lu is longer than %d bytes",
		    (unsigned long)uid, ORA_NAME_MAX - 1);
	return 0;
}

/* Every group of the user: the primary group of the passwd entry (first)
 * and every group that lists them, as the group database says now. The
 * caller's effective gid is deliberately not one of them: a process started
 * under `sg grp` or a setgid program keeps that gid after the user is
 * removed from grp, and counting it would make the removal revoke nothing
 * for such a process. */
static int
resolve_gids(const char *name, gid_t pw_gid, struct ora_identity *id, struct ora_error *err)
{
	int n = 32, got;
	gid_t *list = NULL;

	for (;;) {
		list = ora_xrealloc(list, (size_t)n * sizeof(*list));
		got = n;
		if (getgrouplist(name, pw_gid, list, &got) >= 0)
			break;
		/* Too small: glibc reports the size needed in got. */
		if (got <= n)
			got = n * 2;
		if (got > GROUPS_MAX) {
			free(list);
			return ora_error_set(
			    err, "user %s is in more than %d groups", name, GROUPS_MAX);
		}
		n = got;
	}
	id->gids = ora_xcalloc((size_t)got + 1, sizeof(*id->gids));
	id->gids[0] = pw_gid;
	id->n_groups = 1;
	for (int i = 0; i < got; i++) {
		size_t k;

		for (k = 0; k < id->n_groups && id->gids[k] != list[i]; k++)
			;
		if (k == id->n_groups)
			id->gids[id->n_groups++] = list[i];
	}
	free(list);
	return 0;
}

/* Group names, parallel to gids. A gid without a name is kept as its number
 * (a rule can still name it), but a failing directory is an error: group
 * rules decide access, so a half-known membership must deny. */
static int
resolve_group_names(struct ora_identity *id, struct nss_buf *b, struct ora_error *err)
{
	id->groups = ora_xcalloc(id->n_groups, sizeof(*id->groups));
	for (size_t i = 0; i < id->n_groups; i++) {
		struct group gr, *res = NULL;
		int r;

		for (;;) {
			r = getgrgid_r(id->gids[i], &gr, b->p, b->size, &res);
			if (r != ERANGE)
				break;
			if (nss_buf_grow(b) != 0)
				return ora_error_set(err,
				    "the entry of group %lu is larger than %u bytes; check the "
				    "group database",
				    (unsigned long)id->gids[i], NSS_BUF_MAX);
		}
		if (r != 0 && r != ENOENT && r != ESRCH)
			return ora_error_set(err,
			    "cannot look up group %lu: %s; check the group database "
			    "(nsswitch.conf)",
			    (unsigned long)id->gids[i], strerror(r));
		if (res != NULL)
			id->groups[i] = ora_xstrdup(gr.gr_name);
		else
			id->groups[i] = ora_xasprintf("%lu", (unsigned long)id->gids[i]);
	}
	return 0;
}

int
ora_identity_resolve(uid_t uid, gid_t gid, struct ora_identity *id, struct ora_error *err)
{
	struct nss_buf b = {NULL, 0};
	struct passwd pw;
	int r = -1;

	memset(id, 0, sizeof(*id));
	if (uid == (uid_t)-1) {
		ora_error_set(err, "the kernel gave no credentials for this connection");
		goto out;
	}
	if (resolve_user(uid, &b, &pw, err) != 0)
		goto out;
	id->uid = uid;
	/* gid -1: not known (a TCP caller); record the primary group. */
	id->gid = gid != (gid_t)-1 ? gid : pw.pw_gid;
	ora_strlcpy(id->user, pw.pw_name, sizeof(id->user));
	/* pw points into b, which the group look-ups reuse: copy first. */
	if (resolve_gids(id->user, pw.pw_gid, id, err) != 0)
		goto out;
	if (resolve_group_names(id, &b, err) != 0)
		goto out;
	r = 0;
out:
	free(b.p);
	if (r != 0)
		ora_identity_clear(id);
	return r;
}

int
ora_identity_from_socket(int fd, struct ora_identity *id, struct ora_error *err)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int domain = 0;
	socklen_t dlen = sizeof(domain);

	memset(id, 0, sizeof(*id));
	/* Only AF_UNIX peers have credentials the kernel vouches for. */
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) != 0)
		return ora_error_set(err, "cannot inspect the connection: %s", strerror(errno));
	if (domain != AF_UNIX)
		return ora_error_set(
		    err, "the connection is not a Unix socket, so the caller cannot be identified");
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return ora_error_set(
		    err, "cannot read the caller's credentials: %s", strerror(errno));
	if (len != sizeof(cred))
		return ora_error_set(err, "the kernel gave short credentials for this connection");
	/*
	 * cred.gid (the caller's effective group when it connected) is kept
	 * in id->gid for the record but grants nothing: only the group
	 * database does, so that removing a user from a group revokes every
	 * process of theirs, `sg grp` ones included (see resolve_gids).
	 */
	if (ora_identity_resolve(cred.uid, cred.gid, id, err) != 0)
		return -1;
	id->pid = cred.pid;
	return 0;
}

int
ora_identity_lookup_user(const char *name, struct ora_identity *id, struct ora_error *err)
{
	struct nss_buf b = {NULL, 0};
	struct passwd pw, *res = NULL;
	int r;

	memset(id, 0, sizeof(*id));
	for (;;) {
		if (nss_buf_grow(&b) != 0) {
			free(b.p);
			return ora_error_set(err, "the user entry for %s is too large", name);
		}
		r = getpwnam_r(name, &pw, b.p, b.size, &res);
		if (r != ERANGE)
			break;
	}
	if (r != 0 && r != ENOENT && r != ESRCH) {
		ora_error_set(err, "cannot look up user %s: %s", name, strerror(r));
		free(b.p);
		return -1;
	}
	if (res == NULL) {
		free(b.p);
		return ora_error_set(err, "no such user: %s", name);
	}
	r = ora_identity_resolve(pw.pw_uid, pw.pw_gid, id, err);
	free(b.p);
	return r;
}

int
ora_identity_in_group(const struct ora_identity *id, const char *name)
{
	if (id == NULL || name == NULL)
		return 0;
	for (size_t i = 0; i < id->n_groups; i++) {
		if (id->groups != NULL && id->groups[i] != NULL && strcmp(id->groups[i], name) == 0)
			return 1;
	}
	return 0;
}

void
ora_identity_clear(struct ora_identity *id)
{
	if (id == NULL)
		return;
	for (size_t i = 0; i < id->n_groups && id->groups != NULL; i++)
		free(id->groups[i]);
	free(id->groups);
	free(id->gids);
	memset(id, 0, sizeof(*id));
}
