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
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "orad/usage.h"

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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct orad_usage whole, pieces;

	if (size < 1)
		return 0;
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
