/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "orad/http_parse.h"

/* The first allocation for a head or a body; grown by doubling, never
 * past what the request may hold, so what is held follows what was sent. */
#define HTTP_MIN_ALLOC 1024
/* Hex digits in a chunk size: 15 keep any size far from overflow. */
#define HTTP_MAX_CHUNK_DIGITS 15

static enum http_parse_result __attribute__((format(printf, 3, 4)))
refuse(struct http_parser *p, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->message, sizeof(p->message), fmt, ap);
	va_end(ap);
	/* An answer orad cannot read is the upstream's fault: a bad gateway. */
	p->status = p->kind == HTTP_KIND_RESPONSE ? 502 : status;
	p->state = HP_ERROR;
	return HTTP_PARSE_ERROR;
}

void
http_parser_init(struct http_parser *p, const struct http_limits *limits)
{
	/* Everything before the header array is zeroed; the arrays (headers,
	 * the chunk line, the message) are written before they are read, and
	 * zeroing their 2 KB was most of a parser's set-up per message. */
	memset(p, 0, offsetof(struct http_parser, headers));
	p->n_headers = 0;
	p->content_length = -1;
	p->chunked = p->keep_alive = p->expect_continue = 0;
	p->code = p->until_close = p->head_request = 0;
	p->body = NULL;
	p->body_len = p->body_cap = 0;
	p->span = NULL;
	p->span_len = 0;
	p->chunk_left = 0;
	p->line[0] = '\0';
	p->line_len = p->trailer_bytes = 0;
	p->status = 0;
	p->message[0] = '\0';
	p->limits = *limits;
}

void
http_parser_init_response(struct http_parser *p, size_t max_head_bytes, int head_request)
{
	const struct http_limits limits = {max_head_bytes, SIZE_MAX};

	http_parser_init(p, &limits);
	p->kind = HTTP_KIND_RESPONSE;
	p->head_request = head_request;
}

/* What the parser reads, for its messages. */
static const char *
noun(const struct http_parser *p)
{
	return p->kind == HTTP_KIND_RESPONSE ? "answer" : "request";
}

void
http_parser_free(struct http_parser *p)
{
	free(p->head);
	free(p->body);
	p->head = p->body = NULL;
	p->head_cap = p->body_cap = 0;
}

void
http_parser_reset(struct http_parser *p)
{
	struct http_limits limits = p->limits;
	enum http_parse_kind kind = p->kind;

	http_parser_free(p);
	http_parser_init(p, &limits);
	p->kind = kind;
}

size_t
http_parser_held(const struct http_parser *p)
{
	return p->head_cap + p->body_cap;
}

int
http_parser_idle(const struct http_parser *p)
{
	return p->state == HP_START && p->line_len == 0;
}

const char *
http_parser_header(const struct http_parser *p, const char *name)
{
	for (size_t i = 0; i < p->n_headers; i++)
		if (strcasecmp(p->headers[i].name, name) == 0)
			return p->headers[i].value;
	return NULL;
}

/* Grow *buf to hold need bytes, doubling, at most max. */
static void
grow(char **buf, size_t *cap, size_t need, size_t max)
{
	size_t n = *cap ? *cap : HTTP_MIN_ALLOC;
	char *b;

	if (need <= *cap)
		return;
	while (n < need)
		n *= 2;
	if (n > max)
		n = max;
	if ((b = realloc(*buf, n)) == NULL)
		abort(); /* as ora_xrealloc: orad cannot go on without memory */
	*buf = b;
	*cap = n;
}

/* RFC 9110 tchar. */
static int
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
is_token(const char *s, size_t len)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!is_tchar((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Whether a comma-separated list (Connection) names token, any case. */
static int
list_has(const char *list, const char *token)
{
	size_t n = strlen(token);

	while (*list != '\0') {
		list += strspn(list, " \t,");
		size_t len = strcspn(list, ",");
		size_t end = len;
		while (end > 0 && (list[end - 1] == ' ' || list[end - 1] == '\t'))
			end--;
		if (end == n && strncasecmp(list, token, n) == 0)
			return 1;
		list += len;
	}
	return 0;
}

static enum http_parse_result
parse_request_line(struct http_parser *p, char *line)
{
	char *sp1 = strchr(line, ' '), *sp2, *version;

	if (sp1 == NULL || (sp2 = strchr(sp1 + 1, ' ')) == NULL || strchr(sp2 + 1, ' ') != NULL)
		return refuse(p, 400, "the request line is not METHOD TARGET HTTP/1.1");
	*sp1 = *sp2 = '\0';
	p->method = line;
	p->target = sp1 + 1;
	version = sp2 + 1;
	if (!is_token(p->method, strlen(p->method)))
		return refuse(p, 400, "the request method is not a token");
	if (p->target[0] != '/')
		return refuse(p, 400, "the request target must be a path starting with /");
	for (const char *t = p->target; *t != '\0'; t++)
		if ((unsigned char)*t <= 0x20 || (unsigned char)*t >= 0x7f)
			return refuse(p, 400, "the request target holds a byte that is not allowed there; "
			                      "percent-encode it");
	if (strcmp(version, "HTTP/1.1") == 0)
		p->minor = 1;
	else if (strcmp(version, "HTTP/1.0") == 0)
		p->minor = 0;
	else if (strncmp(version, "HTTP/", 5) == 0 && strlen(version) == 8 && version[6] == '.')
		return refuse(p, 505, "this broker speaks HTTP/1.1 and HTTP/1.0 only");
	else
		return refuse(p, 400, "the request line does not end in HTTP/1.1");
	return HTTP_PARSE_MORE;
}

/* "HTTP/1.1 200 OK": the version, three digits, and a reason that may be
 * empty or missing (RFC 9112 4). */
static enum http_parse_result
parse_status_line(struct http_parser *p, char *line)
{
	if (strncmp(line, "HTTP/1.", 7) != 0 || (line[7] != '0' && line[7] != '1') || line[8] != ' ')
		return refuse(p, 502, "the answer does not start with HTTP/1.1 or HTTP/1.0 and a status");
	p->minor = line[7] - '0';
	line += 9;
	if (strspn(line, "0123456789") != 3 || (line[3] != '\0' && line[3] != ' '))
		return refuse(p, 502, "the answer's status is not three digits");
	p->code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (p->code < 100)
		return refuse(p, 502, "the answer's status %d is not a status", p->code);
	for (const char *r = line + 3; *r != '\0'; r++) {
		unsigned char c = (unsigned char)*r;
		if (c != '\t' && (c < 0x20 || c == 0x7f))
			return refuse(p, 502, "the answer's reason phrase holds a control character");
	}
	return HTTP_PARSE_MORE;
}

static enum http_parse_result
parse_field(struct http_parser *p, char *line)
{
	char *colon, *value, *end;

	if (line[0] == ' ' || line[0] == '\t')
		return refuse(p, 400, "a header field is folded over lines (obsolete line folding); send "
		                      "each field on one line");
	if ((colon = strchr(line, ':')) == NULL || !is_token(line, (size_t)(colon - line)))
		return refuse(p, 400, "a header field name is not a token (no spaces or controls, "
		                      "and a colon right after the name)");
	if (p->n_headers == HTTP_MAX_HEADERS)
		return refuse(p, 431, "the %s has more than %d header fields; send fewer", noun(p),
		    HTTP_MAX_HEADERS);
	*colon = '\0';
	value = colon + 1;
	value += strspn(value, " \t");
	end = value + strlen(value);
	while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	for (const char *v = value; *v != '\0'; v++) {
		unsigned char c = (unsigned char)*v;
		if (c != '\t' && (c < 0x20 || c == 0x7f))
			return refuse(p, 400, "header field %.64s holds a control character", line);
	}
	p->headers[p->n_headers].name = line;
	p->headers[p->n_headers].value = value;
	p->n_headers++;
	return HTTP_PARSE_MORE;
}

/* An answer's framing (RFC 9112 6.3), once read_framing has read the
 * fields. A 1xx other than 101 is interim: HTTP_PARSE_MORE, and the final
 * head follows. */
static enum http_parse_result
response_framing(struct http_parser *p, int te)
{
	if (p->code == 101)
		return refuse(p, 502, "the answer switches protocols, which orad never asks for");
	if (p->code < 200)
		return HTTP_PARSE_MORE;
	if (te && p->content_length >= 0)
		return refuse(p, 502, "the answer has both Content-Length and Transfer-Encoding");
	if (te && p->minor == 0)
		return refuse(p, 502, "the answer has Transfer-Encoding in HTTP/1.0");
	if (p->head_request || p->code == 204 || p->code == 304) {
		/* No body, whatever the fields say of the one it would have. */
		p->content_length = 0;
		te = 0;
	} else if (!te && p->content_length < 0) {
		p->until_close = 1;
		p->keep_alive = 0;
	}
	p->chunked = te;
	return HTTP_PARSE_HEAD;
}

/* The body's framing, from the fields that decide it. */
static enum http_parse_result
parse_framing(struct http_parser *p)
{
	int te = 0, close = 0, keep = 0;

	for (size_t i = 0; i < p->n_headers; i++) {
		const char *name = p->headers[i].name, *v = p->headers[i].value;
		if (strcasecmp(name, "Content-Length") == 0) {
			int64_t n = 0;
			if (*v == '\0' || strspn(v, "0123456789") != strlen(v))
				return refuse(p, 400, "Content-Length is not a number");
			for (; *v != '\0'; v++)
				n = n > INT64_MAX / 20 ? INT64_MAX / 20 : n * 10 + (*v - '0');
			if (p->content_length >= 0 && p->content_length != n)
				return refuse(p, 400, "two different Content-Length fields; send one");
			p->content_length = n;
		} else if (strcasecmp(name, "Transfer-Encoding") == 0) {
			if (te++ > 0 || strcasecmp(v, "chunked") != 0)
				return refuse(p, 400, "Transfer-Encoding other than a single chunked; send "
				                      "the body with Content-Length or chunked");
		} else if (strcasecmp(name, "Connection") == 0) {
			close |= list_has(v, "close");
			keep |= list_has(v, "keep-alive");
		} else if (strcasecmp(name, "Expect") == 0 && p->kind == HTTP_KIND_REQUEST) {
			if (strcasecmp(v, "100-continue") != 0)
				return refuse(p, 417, "Expect: %.64s is not understood; only 100-continue is", v);
			p->expect_continue = 1;
		}
	}
	p->keep_alive = p->minor == 1 ? !close : keep && !close;
	if (p->kind == HTTP_KIND_RESPONSE)
		return response_framing(p, te);
	if (te && p->content_length >= 0)
		return refuse(p, 400, "both Content-Length and Transfer-Encoding; send one");
	if (te && p->minor == 0)
		return refuse(p, 400, "Transfer-Encoding in an HTTP/1.0 request; use Content-Length");
	p->chunked = te;
	if (p->content_length > (int64_t)p->limits.max_body_bytes)
		return refuse(p, 413,
		    "request body is %lld bytes; this broker accepts at most %zu (daemon.max_body_bytes)",
		    (long long)p->content_length, p->limits.max_body_bytes);
	return HTTP_PARSE_HEAD;
}

/* Split the complete head (ending in CRLF CRLF) in place. */
static enum http_parse_result
parse_head(struct http_parser *p)
{
	char *line = p->head, *end = p->head + p->head_len - 2; /* at the last CRLF */
	enum http_parse_result r;
	int first = 1;

	*end = '\0';
	while (line < end) {
		char *eol = strstr(line, "\r\n");
		if (eol == NULL)
			eol = end;
		*eol = '\0';
		if (first)
			r = p->kind == HTTP_KIND_RESPONSE ? parse_status_line(p, line)
			                                  : parse_request_line(p, line);
		else
			r = parse_field(p, line);
		if (r != HTTP_PARSE_MORE)
			return r;
		first = 0;
		line = eol + 2;
	}
	return parse_framing(p);
}

/* One byte of a line ending in CRLF, shared by the head, chunk sizes and
 * trailers: NUL, a CR not followed by LF, and an LF alone are refused. */
static enum http_parse_result
check_line_byte(struct http_parser *p, char prev, char c)
{
	if (c == '\0')
		return refuse(p, 400, "the %s holds a NUL byte outside its body", noun(p));
	if (prev == '\r' && c != '\n')
		return refuse(p, 400, "the %s holds a CR not followed by LF", noun(p));
	if (c == '\n' && prev != '\r')
		return refuse(p, 400, "the %s holds a line ending in LF alone; end lines with CRLF",
		    noun(p));
	return HTTP_PARSE_MORE;
}

/* Back to before a head, keeping the buffer: after an interim answer. */
static void
forget_head(struct http_parser *p)
{
	p->state = HP_START;
	p->head_len = 0;
	p->n_headers = 0;
	p->line_len = 0;
	p->trailer_bytes = 0;
	p->content_length = -1;
	p->code = 0;
}

static enum http_parse_result
feed_head(struct http_parser *p, const char *data, size_t len, size_t *used)
{
	enum http_parse_result r;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = data[i];
		if (p->state == HP_START) {
			/* Empty lines before a request are ignored (RFC 9112 2.2). */
			char prev = p->line_len ? '\r' : '\n';
			if ((r = check_line_byte(p, prev, c)) != HTTP_PARSE_MORE)
				goto out;
			if (c == '\r' || c == '\n') {
				p->line_len = c == '\r';
				if (++p->trailer_bytes > p->limits.max_head_bytes) {
					r = refuse(p, 431, "too many empty lines before the request");
					goto out;
				}
				continue;
			}
			p->state = HP_HEAD;
			p->line_len = 0;
			p->trailer_bytes = 0;
		}
		if (p->head_len > 0 && p->head_len < p->limits.max_head_bytes &&
		    p->head[p->head_len - 1] != '\r' && c != '\0' && c != '\r' && c != '\n') {
			/* A run of bytes that pass check_line_byte and cannot end
			 * the head is taken at once: byte by byte the head cost
			 * a grow() call and the checks for each of its bytes. */
			size_t run = 1, room = p->limits.max_head_bytes - p->head_len;

			while (run < len - i && run < room && data[i + run] != '\0' &&
			    data[i + run] != '\r' && data[i + run] != '\n')
				run++;
			grow(&p->head, &p->head_cap, p->head_len + run, p->limits.max_head_bytes + 1);
			memcpy(p->head + p->head_len, data + i, run);
			p->head_len += run;
			i += run - 1;
			continue;
		}
		if ((r = check_line_byte(p, p->head_len ? p->head[p->head_len - 1] : '\n', c)) !=
		    HTTP_PARSE_MORE)
			goto out;
		if (p->head_len >= p->limits.max_head_bytes) {
			r = p->kind == HTTP_KIND_RESPONSE
			    ? refuse(p, 502, "the answer's status line and headers are larger than %zu bytes",
			          p->limits.max_head_bytes)
			    : refuse(p, 431,
			          "the request line and headers are larger than %zu bytes "
			          "(daemon.max_header_bytes); send fewer or shorter headers",
			          p->limits.max_head_bytes);
			goto out;
		}
		grow(&p->head, &p->head_cap, p->head_len + 1, p->limits.max_head_bytes + 1);
		p->head[p->head_len++] = c;
		if (c == '\n' && p->head_len >= 4 && memcmp(p->head + p->head_len - 4, "\r\n\r\n", 4) == 0) {
			if ((r = parse_head(p)) == HTTP_PARSE_MORE) {
				/* An interim answer (1xx): read on to the final one. */
				forget_head(p);
				continue;
			}
			i++;
			if (r == HTTP_PARSE_HEAD)
				p->state = HP_HEAD_DONE;
			goto out;
		}
	}
	r = HTTP_PARSE_MORE;
out:
	*used = i;
	return r;
}

/* Up to left bytes of the body: a request's are kept, a response's are
 * pointed at (p->span), to be returned as HTTP_PARSE_BODY. */
static size_t
take_body(struct http_parser *p, const char *data, size_t len, uint64_t left, uint64_t total)
{
	size_t n = len < left ? len : (size_t)left;

	if (n == 0)
		return 0;
	if (p->kind == HTTP_KIND_RESPONSE) {
		p->span = data;
		p->span_len = n;
		p->body_len += n;
		return n;
	}
	grow(&p->body, &p->body_cap, p->body_len + n, (size_t)total);
	memcpy(p->body + p->body_len, data, n);
	p->body_len += n;
	return n;
}

/* A chunk-size line without its CRLF: hex digits, then maybe extensions. */
static enum http_parse_result
parse_chunk_size(struct http_parser *p)
{
	const char *s = p->line;
	size_t digits = strspn(s, "0123456789abcdefABCDEF");
	uint64_t n = 0;

	if (digits == 0 || digits > HTTP_MAX_CHUNK_DIGITS)
		return refuse(p, 400, "a chunk size is not a hexadecimal number of at most %d digits",
		    HTTP_MAX_CHUNK_DIGITS);
	for (size_t i = 0; i < digits; i++) {
		char c = s[i];
		n = n * 16 + (uint64_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	s += digits;
	s += strspn(s, " \t");
	if (*s != '\0' && *s != ';')
		return refuse(p, 400, "a chunk size is followed by something other than an extension");
	if (n == 0) {
		p->state = HP_TRAILER;
		return HTTP_PARSE_MORE;
	}
	if (p->kind == HTTP_KIND_REQUEST && n > p->limits.max_body_bytes - p->body_len)
		return refuse(p, 413,
		    "request body is more than %zu bytes; this broker accepts at most %zu "
		    "(daemon.max_body_bytes)",
		    p->limits.max_body_bytes, p->limits.max_body_bytes);
	p->chunk_left = n;
	p->state = HP_CHUNK_DATA;
	return HTTP_PARSE_MORE;
}

/* A complete line of chunk framing (size or trailer), CRLF removed. */
static enum http_parse_result
chunk_line(struct http_parser *p)
{
	if (p->state == HP_CHUNK_SIZE)
		return parse_chunk_size(p);
	if (p->line_len == 0) {
		p->state = HP_DONE;
		return HTTP_PARSE_DONE;
	}
	/* Trailer fields are read and dropped: orad uses none. */
	char *colon = strchr(p->line, ':');
	if (p->line[0] == ' ' || p->line[0] == '\t' || colon == NULL ||
	    !is_token(p->line, (size_t)(colon - p->line)))
		return refuse(p, 400, "a trailer field is malformed");
	return HTTP_PARSE_MORE;
}

static enum http_parse_result
feed_chunked(struct http_parser *p, const char *data, size_t len, size_t *used)
{
	enum http_parse_result r = HTTP_PARSE_MORE;
	size_t i = 0;

	while (i < len && r == HTTP_PARSE_MORE) {
		char c = data[i];
		switch (p->state) {
		case HP_CHUNK_DATA:
		{
			size_t n = take_body(p, data + i, len - i, p->chunk_left, p->limits.max_body_bytes);
			i += n;
			if ((p->chunk_left -= n) == 0)
				p->state = HP_CHUNK_DATA_CR;
			if (p->kind == HTTP_KIND_RESPONSE)
				r = HTTP_PARSE_BODY; /* the span, before anything after it */
			break;
		}
		case HP_CHUNK_DATA_CR:
		case HP_CHUNK_DATA_LF:
			if (c != (p->state == HP_CHUNK_DATA_CR ? '\r' : '\n')) {
				r = refuse(p, 400, "a chunk is longer than its size says");
				break;
			}
			p->state = p->state == HP_CHUNK_DATA_CR ? HP_CHUNK_DATA_LF : HP_CHUNK_SIZE;
			i++;
			break;
		default: { /* HP_CHUNK_SIZE, HP_TRAILER: a line */
			char prev = p->line_len ? p->line[p->line_len - 1] : '\n';
			if ((r = check_line_byte(p, prev, c)) != HTTP_PARSE_MORE)
				break;
			i++;
			if (p->state == HP_TRAILER && ++p->trailer_bytes > p->limits.max_head_bytes) {
				r = refuse(p, 431, "the %s's trailer fields are larger than %zu bytes%s", noun(p),
				    p->limits.max_head_bytes,
				    p->kind == HTTP_KIND_REQUEST ? " (daemon.max_header_bytes)" : "");
				break;
			}
			if (c == '\n') {
				p->line[--p->line_len] = '\0'; /* drop the CR */
				r = chunk_line(p);
				p->line_len = 0;
				break;
			}
			if (p->line_len + 1 >= sizeof(p->line)) {
				r = refuse(p, 400, "a chunk-size or trailer line is longer than %d bytes",
				    HTTP_MAX_CHUNK_LINE);
				break;
			}
			p->line[p->line_len++] = c;
			p->line[p->line_len] = '\0';
			break;
		}
		}
	}
	*used = i;
	return r;
}

enum http_parse_result
http_parse(struct http_parser *p, const char *data, size_t len, size_t *used)
{
	size_t n = 0;
	enum http_parse_result r;

	*used = 0;
	switch (p->state) {
	case HP_START:
	case HP_HEAD:
		return feed_head(p, data, len, used);
	case HP_HEAD_DONE:
		if (p->chunked) {
			p->state = HP_CHUNK_SIZE;
			return http_parse(p, data, len, used);
		}
		if (p->content_length <= 0 && !p->until_close) {
			p->state = HP_DONE;
			return HTTP_PARSE_DONE;
		}
		p->state = HP_BODY;
		/* fall through */
	case HP_BODY:
		if (p->kind == HTTP_KIND_RESPONSE) {
			uint64_t left = p->until_close ? UINT64_MAX
			                               : (uint64_t)p->content_length - p->body_len;
			if (left == 0) {
				p->state = HP_DONE;
				return HTTP_PARSE_DONE;
			}
			*used = take_body(p, data, len, left, 0);
			return *used > 0 ? HTTP_PARSE_BODY : HTTP_PARSE_MORE;
		}
		*used = take_body(p, data, len, (uint64_t)p->content_length - p->body_len,
		    (uint64_t)p->content_length);
		if (p->body_len == (uint64_t)p->content_length) {
			p->state = HP_DONE;
			return HTTP_PARSE_DONE;
		}
		return HTTP_PARSE_MORE;
	case HP_CHUNK_DATA:
	case HP_CHUNK_DATA_CR:
	case HP_CHUNK_DATA_LF:
	case HP_CHUNK_SIZE:
	case HP_TRAILER:
		r = feed_chunked(p, data, len, &n);
		*used = n;
		return r;
	case HP_DONE:
		return HTTP_PARSE_DONE;
	case HP_ERROR:
		return HTTP_PARSE_ERROR;
	}
	return HTTP_PARSE_ERROR;
}

enum http_parse_result
http_parse_eof(struct http_parser *p)
{
	switch (p->state) {
	case HP_DONE:
		return HTTP_PARSE_DONE;
	case HP_ERROR:
		return HTTP_PARSE_ERROR;
	case HP_HEAD_DONE:
	case HP_BODY:
		if (p->until_close) {
			p->state = HP_DONE;
			return HTTP_PARSE_DONE;
		}
		if (p->chunked)
			break;
		if (p->content_length <= 0) {
			p->state = HP_DONE; /* no body was due */
			return HTTP_PARSE_DONE;
		}
		return refuse(p, 400, "the %s was cut short: the connection closed after %zu of its %lld "
		                      "body bytes", noun(p), p->body_len, (long long)p->content_length);
	case HP_START:
		if (http_parser_idle(p))
			return refuse(p, 400, "the connection closed before any of the %s", noun(p));
		/* fall through */
	case HP_HEAD:
		return refuse(p, 400, "the connection closed in the middle of the %s's head", noun(p));
	default:
		break;
	}
	return refuse(p, 400, "the connection closed in the middle of the %s's chunked body", noun(p));
}
