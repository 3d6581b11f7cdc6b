/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * usage-fuzzer.c: what orad reads in the upstream's answers (orad/usage.c):
 * the generation id, served model, tokens, cost and in-band errors, from a
 * whole JSON body or from an event stream (through the SSE reader of
 * src/common/sse.c).
 *
 * Odd first byte: the rest is a whole body. Even: the rest is a stream,
 * read twice, at once and in pieces of 1 + (first byte / 2) bytes, and the
 * two readings must agree: where the network splits a stream must never
 * change what orad bills.
 *
 * A first byte 'M' or 'R' picks the Anthropic Messages or the Responses
 * reader (orad/usage_shapes.h) instead of chat completions', and the
 * second byte then says body or stream as above.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "orad/usage.h"
#include "orad/usage_shapes.h"

static void
read_stream(struct orad_usage *u, const uint8_t *data, size_t size, size_t step)
{
	struct sse_parser p = {0};

	for (size_t i = 0; i < size; i += step) {
		size_t n = size - i < step ? size - i : step;
		sse_feed(&p, u, (const char *)data + i, n);
	}
	sse_parser_clear(&p);
}

static void
read_events(struct orad_usage *u, usage_event_fn fn, const uint8_t *data, size_t size,
    size_t step)
{
	struct usage_event_stream s = {0};

	for (size_t i = 0; i < size; i += step) {
		size_t n = size - i < step ? size - i : step;
		usage_events_feed(&s, fn, u, (const char *)data + i, n);
	}
	usage_events_clear(&s);
}

/* The readers' promise beyond the sanitizers: strings stay terminated. */
static void
check_terminated(const struct orad_usage *u)
{
	if (memchr(u->generation_id, 0, sizeof(u->generation_id)) == NULL ||
	    memchr(u->model, 0, sizeof(u->model)) == NULL ||
	    memchr(u->cost, 0, sizeof(u->cost)) == NULL ||
	    memchr(u->error_message, 0, sizeof(u->error_message)) == NULL ||
	    memchr(u->finish_reason, 0, sizeof(u->finish_reason)) == NULL)
		abort();
}

static int
shape_input(const uint8_t *data, size_t size)
{
	int messages = data[0] == 'M';
	struct orad_usage whole, pieces;

	if (size < 2)
		return 0;
	memset(&whole, 0, sizeof(whole));
	if (data[1] & 1) {
		if (messages)
			usage_messages_body(&whole, (const char *)data + 2, size - 2);
		else
			usage_responses_body(&whole, (const char *)data + 2, size - 2);
		check_terminated(&whole);
		return 0;
	}
	memset(&pieces, 0, sizeof(pieces));
	usage_event_fn fn = messages ? usage_messages_event : usage_responses_event;
	read_events(&whole, fn, data + 2, size - 2, size);
	read_events(&pieces, fn, data + 2, size - 2, 1 + data[1] / 2u);
	if (memcmp(&whole, &pieces, sizeof(whole)) != 0)
		abort();
	check_terminated(&whole);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct orad_usage whole, pieces;

	if (size < 1)
		return 0;
	if (data[0] == 'M' || data[0] == 'R')
		return shape_input(data, size);
	memset(&whole, 0, sizeof(whole));
	if (data[0] & 1) {
		usage_parse_body(&whole, (const char *)data + 1, size - 1);
		return 0;
	}
	memset(&pieces, 0, sizeof(pieces));
	read_stream(&whole, data + 1, size - 1, size);
	read_stream(&pieces, data + 1, size - 1, 1 + data[0] / 2u);
	if (memcmp(&whole, &pieces, sizeof(whole)) != 0)
		abort();
	return 0;
}
