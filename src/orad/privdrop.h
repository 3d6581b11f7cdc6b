/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * privdrop.h: give up root for good, once the socket is bound and the master
 * key read.
 */
#ifndef ORAD_PRIVDROP_H
#define ORAD_PRIVDROP_H

#include "common/util.h"

/* When running as root, switch to user (and group, or the user's primary
 * group when group is NULL): supplementary groups cleared, gid then uid set,
 * and verified by trying to regain root. Without root, does nothing.
 * Refuses to keep running as root when user is NULL. */
int privdrop(const char *user, const char *group, struct ora_error *err);

#endif
