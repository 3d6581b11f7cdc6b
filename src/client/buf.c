/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "client/buf.h"

int
oc_buf_append(struct oc_buf *b, const void *data, size_t n, size_t max)
{
	size_t need, cap;
	char *p;

	if (n > max || b->len > max - n)
		return OC_BUF_FULL;
	need = b->len + n + 1;
	if (need > b->cap) {
		cap = b->cap < 256 ? 256 : b->cap;
		while (cap < need)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL)
			return OC_BUF_NOMEM;
		b->p = p;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

void
oc_buf_reset(struct oc_buf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

char *
oc_buf_take(struct oc_buf *b)
{
	char *p = b->p;

	if (p == NULL)
		p = strdup("");
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void
oc_buf_free(struct oc_buf *b)
{
	if (b == NULL)
		return;
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
