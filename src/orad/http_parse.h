/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * http_parse.h: orad's HTTP/1.1 parser, a pure function of (parser state,
 * bytes): no sockets, no event loop, no globals. It is fed whatever arrived,
 * in any split, and says when a request head and then a whole request are
 * complete, or why the request is refused.
 *
 * The same parser reads an answer to a request orad sent
 * (http_parser_init_response), with the same rules for the head's lines and
 * fields and for chunks. A response's head is returned once it is final
 * (interim 1xx heads are read and dropped), then its body a span at a time,
 * decoded and pointing into the bytes fed (HTTP_PARSE_BODY: nothing is
 * copied or held), then HTTP_PARSE_DONE. Its framing follows RFC 9112 6.3:
 * no body after HEAD, 204 or 304; a single chunked coding; Content-Length;
 * else the body ends when the peer closes (http_parse_eof). A response that
 * could be framed two ways (Content-Length with Transfer-Encoding, two
 * lengths, a coding orad never asks for) is an error, never a guess.
 *
 * It parses a strict subset of RFC 9112, the one orad's clients use: a
 * request line, header fields, and a body framed by Content-Length or by the
 * chunked transfer coding. Whatever could be read two ways (both
 * Content-Length and Transfer-Encoding, two different lengths, another
 * coding, folded lines, bare CR, NUL, a bad header name) is refused with 400,
 * never guessed: a request that two parsers could frame differently is how
 * requests are smuggled. Every limit is checked before the bytes it guards
 * are kept: an oversized head is refused at the byte that crosses
 * max_head_bytes (431), a declared Content-Length over max_body_bytes at the
 * end of the head, before any of the body is read (413), and a chunked body
 * at the chunk that would cross the limit (413).
 *
 * Unit-tested byte by byte and in every split (tests/unit/check_http.c,
 * check_http_response.c) and fuzzed (fuzz/http_request-fuzzer.c,
 * fuzz/http_response-fuzzer.c).
 */
#ifndef ORAD_HTTP_PARSE_H
#define ORAD_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Header fields in one request: more is an attack, not a client. */
#define HTTP_MAX_HEADERS 64
/* A chunk-size line (size, extensions, CRLF). */
#define HTTP_MAX_CHUNK_LINE 1024

struct http_limits {
	size_t max_head_bytes;  /* request line and header fields (daemon.max_header_bytes) */
	size_t max_body_bytes;  /* decoded body (daemon.max_body_bytes) */
};

struct http_header {
	const char *name;  /* NUL-terminated, inside the parser's head buffer */
	const char *value; /* without surrounding whitespace */
};

enum http_parse_result {
	HTTP_PARSE_MORE,  /* every byte used; send more */
	HTTP_PARSE_HEAD,  /* the head is complete; call again for the body */
	HTTP_PARSE_BODY,  /* a response only: span_len body bytes at span; call again */
	HTTP_PARSE_DONE,  /* the message is complete; later bytes are not used */
	HTTP_PARSE_ERROR, /* refused: status and message say why */
};

enum http_parse_kind {
	HTTP_KIND_REQUEST,  /* a client's request to orad */
	HTTP_KIND_RESPONSE, /* an answer to a request orad sent */
};

enum http_parse_state {
	HP_START,       /* before the first byte of a head */
	HP_HEAD,
	HP_HEAD_DONE,   /* head returned, body not started */
	HP_BODY,        /* Content-Length body */
	HP_CHUNK_SIZE,
	HP_CHUNK_DATA,
	HP_CHUNK_DATA_CR,
	HP_CHUNK_DATA_LF,
	HP_TRAILER,
	HP_DONE,
	HP_ERROR,
};

/* http_parser_init zeroes what comes before `headers` and sets each field
 * after it by name (the arrays are not zeroed): a field added after
 * `headers` must be set there too. */
struct http_parser {
	struct http_limits limits;
	enum http_parse_kind kind;
	enum http_parse_state state;

	/* The head as received, then split in place into NUL-terminated
	 * method, target and header fields. */
	char *head;
	size_t head_len, head_cap;

	/* The request, valid from HTTP_PARSE_HEAD. */
	const char *method;
	const char *target;
	int minor;            /* HTTP/1.minor */
	struct http_header headers[HTTP_MAX_HEADERS];
	size_t n_headers;
	int64_t content_length; /* -1: none */
	int chunked;
	int keep_alive;       /* after this message, per version and Connection */
	int expect_continue;

	/* A response, valid from HTTP_PARSE_HEAD: its status code, and whether
	 * its body ends when the peer closes the connection. head_request: the
	 * request was HEAD, so the answer has no body whatever it says. */
	int code;
	int until_close;
	int head_request;

	/* The decoded body: a request's, held; a response's, the span the last
	 * HTTP_PARSE_BODY points at (inside the bytes fed) and body_len the
	 * bytes returned so far. */
	char *body;
	size_t body_len, body_cap;
	const char *span;
	size_t span_len;

	/* Chunked framing. */
	uint64_t chunk_left;
	char line[HTTP_MAX_CHUNK_LINE];
	size_t line_len;
	size_t trailer_bytes;

	/* Why the request was refused. */
	int status;
	char message[256];
};

void http_parser_init(struct http_parser *p, const struct http_limits *limits);

/* Read an answer instead: head at most max_head_bytes, the body unbounded
 * (nothing of it is held). head_request: the request was HEAD. */
void http_parser_init_response(struct http_parser *p, size_t max_head_bytes, int head_request);

/* Forget the message (keeping the limits and the kind) to parse the next
 * one on the same connection. Frees the body and head. */
void http_parser_reset(struct http_parser *p);

void http_parser_free(struct http_parser *p);

/* Feed len bytes. *used says how many were consumed; the rest belong to the
 * next call (after HTTP_PARSE_HEAD) or to the next request (after
 * HTTP_PARSE_DONE). After HTTP_PARSE_ERROR, p->status (400, 413, 431, 417,
 * 505) and p->message say why, and the connection must be closed: its
 * framing can no longer be trusted. */
enum http_parse_result http_parse(struct http_parser *p, const char *data, size_t len, size_t *used);

/* The peer closed the connection: HTTP_PARSE_DONE if that ends the message
 * (a response whose body runs until close, or one already complete), else
 * HTTP_PARSE_ERROR with p->message saying what was missing. */
enum http_parse_result http_parse_eof(struct http_parser *p);

/* Bytes the parser holds for the request being read (head and body
 * buffers), for the limits on what unfinished requests may hold. */
size_t http_parser_held(const struct http_parser *p);

/* The value of the first header field called name (any case), or NULL. */
const char *http_parser_header(const struct http_parser *p, const char *name);

/* Whether the parser is between requests (nothing of a new one received). */
int http_parser_idle(const struct http_parser *p);

#endif
