/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * http_response-fuzzer.c: orad's HTTP/1.1 parser reading answers
 * (http_parser_init_response in src/orad/http_parse.c), fed arbitrary bytes
 * in arbitrary splits, then the peer's close. The first byte chooses the
 * split sizes, as in http_request-fuzzer.c, and its top bit says the
 * request was HEAD. Asserts what a reader of answers relies on: used never
 * exceeds what was given, MORE uses every byte, a body span is never empty
 * and lies inside the bytes just given, no more body comes out than went
 * in, a head is a final one (200-599 or 1xx other than 101 never), the
 * head held stays within its limit, an error is final, and the close ends
 * every answer one way or the other.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "orad/http_parse.h"

#define FUZZ_MAX_HEAD 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_parser p;
	unsigned seed;
	size_t off = 1, used, body = 0;
	int answers = 0;
	enum http_parse_result r = HTTP_PARSE_MORE;

	if (size < 1)
		return 0;
	seed = data[0] & 0x7f;
	http_parser_init_response(&p, FUZZ_MAX_HEAD, data[0] >> 7);
	while (off < size && answers < 16) {
		/* Split sizes from the seed: 1, 2, 3 ... bytes at a time, or all. */
		size_t step = seed == 0 ? size - off : (size_t)(seed % 17) + 1;
		size_t len = step < size - off ? step : size - off;
		const char *in = (const char *)data + off;

		r = http_parse(&p, in, len, &used);
		if (used > len || (r == HTTP_PARSE_MORE && used != len))
			abort();
		if (p.head_len > FUZZ_MAX_HEAD)
			abort();
		off += used;
		seed = seed * 33 + 7;
		if (r == HTTP_PARSE_ERROR) {
			if (p.status != 502 || http_parse(&p, "x", 1, &used) != HTTP_PARSE_ERROR ||
			    http_parse_eof(&p) != HTTP_PARSE_ERROR)
				abort();
			break;
		}
		if (r == HTTP_PARSE_HEAD) {
			if (p.code < 200 || p.code > 999)
				abort();
			(void)http_parser_header(&p, "Content-Type");
			continue;
		}
		if (r == HTTP_PARSE_BODY) {
			if (p.span_len == 0 || p.span < in || p.span + p.span_len > in + used)
				abort();
			body += p.span_len;
			if (body > size)
				abort();
			continue;
		}
		if (r == HTTP_PARSE_DONE) {
			answers++;
			body = 0;
			http_parser_reset(&p);
		}
	}
	if (r != HTTP_PARSE_ERROR) {
		r = http_parse_eof(&p);
		if (r != HTTP_PARSE_DONE && r != HTTP_PARSE_ERROR)
			abort();
	}
	http_parser_free(&p);
	return 0;
}
