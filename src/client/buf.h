/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * buf.h: the client library's growable byte buffer.
 *
 * libora-client cannot use ora_xmalloc (a library must not abort its host on
 * out-of-memory), so it has this small buffer whose every append names a hard
 * cap: bytes from the broker never grow memory without bound.
 */
#ifndef ORA_CLIENT_BUF_H
#define ORA_CLIENT_BUF_H

#include <stddef.h>

struct oc_buf {
	char *p;    /* NUL-terminated when not NULL */
	size_t len; /* bytes held, without the NUL */
	size_t cap; /* bytes allocated */
};

enum {
	OC_BUF_NOMEM = -1,
	OC_BUF_FULL = -2,
};

/* Append n bytes, keeping the content NUL-terminated. Returns 0, OC_BUF_FULL
 * when len would exceed max (the buffer is unchanged), or OC_BUF_NOMEM. */
int oc_buf_append(struct oc_buf *b, const void *data, size_t n, size_t max);

/* Forget the content, keep the memory. */
void oc_buf_reset(struct oc_buf *b);

/* Hand the content to the caller (free() it; "" if nothing was appended) and
 * leave b empty. NULL when out of memory. */
char *oc_buf_take(struct oc_buf *b);

void oc_buf_free(struct oc_buf *b);

#endif
