/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * secret.h: inside struct ora_secret (internal to src/keys).
 */
#ifndef ORA_SECRET_H
#define ORA_SECRET_H

#include <stddef.h>

#include "common/util.h"

struct ora_secret {
	unsigned char *data; /* sodium_malloc'd: guarded, locked, wiped on free */
	size_t len;
};

/* A secret of len bytes to fill; NULL (with err) when locked memory cannot
 * be had. */
struct ora_secret *ora_secret_new(size_t len, struct ora_error *err);

/* Make a filled secret read-only: a stray write through a bad pointer then
 * faults instead of corrupting the key. */
void ora_secret_protect(struct ora_secret *s);

#endif
