/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * whois.h: who a connection's peer is, by name and groups.
 *
 * Resolving a uid through NSS reads /etc/passwd and /etc/group each time
 * (about 20 us here), which would be most of what orad spends on a request.
 * So results are kept per (uid, gid), but only while /etc/passwd and
 * /etc/group are unchanged, and for at most WHOIS_MAX_AGE_MS: removing a
 * user from a group in the files takes effect on their very next request;
 * with other NSS sources (LDAP, sssd), within that age. "Unchanged" is
 * what an inotify watch on the files and on /etc reported, read once per
 * request (one read(2) that finds nothing, where two stats cost four
 * times as much: issue 17); where the files cannot be watched (no
 * inotify, a symbolic link, a file mounted from elsewhere), their inode,
 * size and mtime, stat'ed once per request.
 */
#ifndef ORAD_WHOIS_H
#define ORAD_WHOIS_H

#include "config/identity.h"

#define WHOIS_MAX_AGE_MS 2000
#define WHOIS_SLOTS 512

struct orad_whois;
struct orad_conn;

/* Starts the watch: call before the sandbox (see sandbox.c). */
struct orad_whois *whois_new(void);
/* 1 if the files are watched, 0 if they are stat'ed per request. */
int whois_watching(const struct orad_whois *w);
void whois_free(struct orad_whois *w);

/* Fill id (to be cleared by the caller) for the peer of c. Fails closed:
 * any error resolving means the caller must be denied. The account files
 * are checked once per request of c (c->requests): a request authorised
 * at its head and again once its body is read is judged by the files as
 * they were at its head, and saves two stats. */
int whois_resolve(struct orad_whois *w, struct orad_conn *c, struct ora_identity *id,
    struct ora_error *err);

#endif
