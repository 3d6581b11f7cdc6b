/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * http_request-fuzzer.c: orad's request parser (src/orad/http_parse.c) fed
 * arbitrary bytes in arbitrary splits. The first byte chooses the split
 * sizes, so one input explores both how the bytes are framed and how they
 * arrive. Asserts what the connection code relies on: used never exceeds
 * what was given, MORE uses every byte, the body and head never exceed
 * their limits, and an error is final.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "orad/http_parse.h"

#define FUZZ_MAX_HEAD 512
#define FUZZ_MAX_BODY 2048

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct http_limits limits = { FUZZ_MAX_HEAD, FUZZ_MAX_BODY };
	struct http_parser p;
	unsigned seed;
	size_t off = 1, used;
	int requests = 0;

	if (size < 1)
		return 0;
	seed = data[0];
	http_parser_init(&p, &limits);
	while (off < size && requests < 16) {
		/* Split sizes from the seed: 1, 2, 3 ... bytes at a time, or all. */
		size_t step = seed == 0 ? size - off : (size_t)(seed % 17) + 1;
		size_t len = step < size - off ? step : size - off;
		enum http_parse_result r = http_parse(&p, (const char *)data + off, len, &used);

		if (used > len)
			abort();
		if (r == HTTP_PARSE_MORE && used != len)
			abort();
		if (p.body_len > FUZZ_MAX_BODY || p.head_len > FUZZ_MAX_HEAD)
			abort();
		off += used;
		seed = seed * 33 + 7;
		if (r == HTTP_PARSE_ERROR) {
			if (p.status < 400 || p.status > 505 || http_parse(&p, "x", 1, &used) != HTTP_PARSE_ERROR)
				abort();
			break;
		}
		if (r == HTTP_PARSE_HEAD) {
			/* What the connection code reads at the head. */
			if (p.method == NULL || p.target == NULL || p.target[0] != '/')
				abort();
			(void)http_parser_header(&p, "Content-Type");
			if (p.content_length > (int64_t)FUZZ_MAX_BODY)
				abort();
			/* A bodiless request is done with no more bytes. */
			continue;
		}
		if (r == HTTP_PARSE_DONE) {
			requests++;
			http_parser_reset(&p);
		}
	}
	http_parser_free(&p);
	return 0;
}
