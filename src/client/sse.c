/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <string.h>

#include "client/sse.h"

void
oc_sse_init(struct oc_sse *p, size_t max)
{
	memset(p, 0, sizeof(*p));
	sse_events_init(&p->events, max);
}

void
oc_sse_free(struct oc_sse *p)
{
	if (p == NULL)
		return;
	sse_events_free(&p->events);
}

static int
on_event(void *arg, const struct sse_event *ev)
{
	struct oc_sse *p = arg;

	return p->fn(p->arg, ev->data, ev->len);
}

int
oc_sse_feed(struct oc_sse *p, const char *bytes, size_t n, oc_sse_event_fn fn, void *arg)
{
	p->fn = fn;
	p->arg = arg;
	return sse_events_feed(&p->events, bytes, n, on_event, p);
}
