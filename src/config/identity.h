/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * identity.h: who is calling, as the kernel vouches for it.
 *
 * The uid/gid/pid come from SO_PEERCRED on the connected socket, never from
 * anything the caller says. User and group names come from NSS at the time
 * of the call, so a change in /etc/group takes effect on the next request.
 * Any failure to resolve is an error: callers must deny.
 */
#ifndef ORA_IDENTITY_H
#define ORA_IDENTITY_H

#include <stddef.h>
#include <sys/types.h>

#include "common/util.h"

#define ORA_NAME_MAX 256

struct ora_identity {
	uid_t uid;
	gid_t gid;        /* the peer's effective gid: recorded, grants nothing */
	pid_t pid;
	char user[ORA_NAME_MAX];
	gid_t *gids;      /* the passwd entry's primary group first, then every
	                     group that lists the user (NSS, now) */
	char **groups;    /* names, parallel to gids; a gid with no name is
	                     kept as its number in decimal */
	size_t n_groups;
};

/* Fill id from the peer credentials of a connected AF_UNIX socket. */
int ora_identity_from_socket(int fd, struct ora_identity *id, struct ora_error *err);

/* Fill id for uid with primary group gid (pid 0), e.g. for `oractl explain`;
 * gid (gid_t)-1 when it is not known (a TCP caller): the passwd entry's. */
int ora_identity_resolve(uid_t uid, gid_t gid, struct ora_identity *id, struct ora_error *err);

/* Fill id for a user name; fails if the user does not exist. */
int ora_identity_lookup_user(const char *name, struct ora_identity *id, struct ora_error *err);

/* 1 if id is a member of group name. */
int ora_identity_in_group(const struct ora_identity *id, const char *name);

/* Release what resolve allocated; safe on a zeroed or cleared struct. */
void ora_identity_clear(struct ora_identity *id);

#endif
