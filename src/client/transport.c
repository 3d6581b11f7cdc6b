/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * transport.c: one HTTP/1.1 exchange with the broker over its Unix socket.
 *
 * Why not libcurl: a program linked with Debian's libcurl loads some thirty
 * libraries at start-up (two TLS stacks, Kerberos, LDAP, SSH, ...), which
 * costs about 5 ms on a small VM: ten times what the broker takes to answer
 * a short question, and every orask run pays it. A local socket needs none
 * of that. What is needed is small: one request at a time on a kept-alive
 * connection, and answers with a Content-Length, a chunked body, or a body
 * that ends when the broker closes. Every byte from the socket goes through
 * bounded buffers: OC_HEAD_MAX for a response head, OC_CHUNK_LINE_MAX for a
 * chunk-size line, OC_MAX_RESPONSE for a collected body (internal.h).
 *
 * Waiting is done with poll(2) in slices of OC_WAIT_SLICE_MS, so the cancel
 * check runs while nothing arrives; any failure closes the connection, which
 * is how the broker learns to stop the upstream request.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client/internal.h"

#define METHOD_MAX 16
#define READ_SIZE (16u * 1024)
#define CONNECT_RETRY_MS 10     /* the broker's listen queue is full: try again after */
#define SMALL_BODY (64u * 1024) /* sent in one write with the head */

struct transfer {
	struct ora_client *c;
	struct oc_response *resp;
	oc_sink_fn sink;
	void *sink_arg;
	long long deadline; /* CLOCK_MONOTONIC milliseconds; 0: none */
	int head_request;   /* HEAD: the answer has no body */
	int decided;        /* whether the body goes to the sink is known */
	int streaming;      /* it does */
	int keep;           /* the connection may serve the next request */
	size_t received;    /* bytes of the answer received so far */
	size_t start, end;  /* what was read and not yet used: in[start, end) */
	char in[READ_SIZE]; /* last, so that everything before it is cleared at once */
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
drop_connection(struct ora_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static enum ora_status
cancelled(struct ora_client *c)
{
	return oc_fail(c, ORA_E_CANCELLED, "the request was cancelled");
}

static enum ora_status
timed_out(struct ora_client *c)
{
	return oc_fail(c, ORA_E_TIMEOUT, "the broker at %s did not answer in time", c->socket_path);
}

/* Wait until the connection is ready for events; *revents gets what it is
 * ready for. Runs the cancel check before every slice of waiting. */
static enum ora_status
wait_ready(struct transfer *t, short events, short *revents)
{
	struct ora_client *c = t->c;
	struct pollfd p = {.fd = c->fd, .events = events};
	long long left;
	int n, slice;

	for (;;) {
		if (c->cancel_check != NULL && c->cancel_check(c->cancel_arg) != 0)
			return cancelled(c);
		slice = OC_WAIT_SLICE_MS;
		if (t->deadline != 0) {
			if ((left = t->deadline - now_ms()) <= 0)
				return timed_out(c);
			if (left < slice)
				slice = (int)left;
		}
		n = poll(&p, 1, slice);
		if (n > 0) {
			*revents = p.revents;
			return ORA_OK;
		}
		if (n < 0 && errno != EINTR)
			return oc_fail(c, ORA_E_UNREACHABLE, "cannot wait for the broker: %s",
			    strerror(errno));
	}
}

static enum ora_status
connect_broker(struct transfer *t)
{
	struct ora_client *c = t->c;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	long long give_up = now_ms() + OC_CONNECT_TIMEOUT_MS;
	char buf[256];
	int fd;

	/* ora_client_open() checked that the path fits. */
	memcpy(sa.sun_path, c->socket_path, strlen(c->socket_path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return oc_fail(c, ORA_E_UNREACHABLE, "cannot create a socket: %s",
		    strerror_r(errno, buf, sizeof(buf)));
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN && now_ms() < give_up &&
		    (t->deadline == 0 || now_ms() < t->deadline)) {
			/* A Unix socket's backlog is full: nothing is queued, so
			 * this is the way to wait for room. */
			if (c->cancel_check != NULL && c->cancel_check(c->cancel_arg) != 0) {
				close(fd);
				return cancelled(c);
			}
			poll(NULL, 0, CONNECT_RETRY_MS);
			continue;
		}
		if (errno == EAGAIN) {
			close(fd);
			return oc_fail(c, ORA_E_UNREACHABLE,
			    "the broker at %s accepts no connection (it is overloaded)",
			    c->socket_path);
		}
		oc_fail(c, ORA_E_UNREACHABLE,
		    "cannot connect to the ora broker at %s (%s): is orad running, and may you "
		    "use its socket?",
		    c->socket_path, strerror_r(errno, buf, sizeof(buf)));
		close(fd);
		return ORA_E_UNREACHABLE;
	}
	c->fd = fd;
	return ORA_OK;
}

/* A kept-alive connection that has something to read before a request was
 * sent is one the broker closed (or broke): not worth trying. */
static int
connection_stale(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) != 0;
}

/* Send len bytes. *early is set when the broker stopped reading: it closed
 * its end, or answered before taking the whole request (a 413, say); its
 * answer is then read as usual. */
static enum ora_status
send_all(struct transfer *t, const char *p, size_t len, int *early)
{
	enum ora_status r;
	ssize_t n;
	short ev;

	while (len > 0 && !*early) {
		n = send(t->c->fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if ((r = wait_ready(t, POLLOUT | POLLIN, &ev)) != ORA_OK)
				return r;
			if (!(ev & POLLOUT))
				*early = 1;
			continue;
		}
		*early = 1; /* EPIPE, ECONNRESET */
	}
	return ORA_OK;
}

/* Read what arrives into in[]. Returns the number of bytes read, 0 when the
 * broker closed the connection, -1 after recording a failure in *status. */
static ssize_t
fill(struct transfer *t, enum ora_status *status)
{
	ssize_t n;
	short ev;

	if (t->start == t->end) {
		t->start = t->end = 0;
	} else if (t->end == sizeof(t->in)) {
		memmove(t->in, t->in + t->start, t->end - t->start);
		t->end -= t->start;
		t->start = 0;
	}
	for (;;) {
		n = recv(t->c->fd, t->in + t->end, sizeof(t->in) - t->end, 0);
		if (n > 0) {
			t->end += (size_t)n;
			t->received += (size_t)n;
			return n;
		}
		if (n == 0 || errno == ECONNRESET)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			*status = oc_fail(t->c, ORA_E_UPSTREAM_MIDSTREAM,
			    "cannot read the broker's answer: %s", strerror(errno));
			return -1;
		}
		if ((*status = wait_ready(t, POLLIN, &ev)) != ORA_OK)
			return -1;
	}
}

/* The broker closed the connection before the answer was complete. */
static enum ora_status
broke_off(struct transfer *t)
{
	struct ora_client *c = t->c;

	if (t->resp->status == 0)
		return oc_fail(c, ORA_E_UNREACHABLE,
		    "the broker at %s closed the connection without answering", c->socket_path);
	return oc_fail(c, ORA_E_UPSTREAM_MIDSTREAM,
	    "the connection to the broker broke off in the middle of the answer");
}

static enum ora_status
not_http(struct transfer *t, const char *what)
{
	return oc_fail(t->c, ORA_E_PROTOCOL, "the broker's answer is not valid HTTP (%s)", what);
}

/* Hand a piece of the body to the sink (a 2xx event stream) or collect it. */
static enum ora_status
deliver(struct transfer *t, const char *data, size_t len)
{
	struct oc_response *resp = t->resp;
	int r;

	if (len == 0)
		return ORA_OK;
	if (!t->decided) {
		t->streaming = t->sink != NULL && oc_response_ok(resp) &&
		               strncasecmp(resp->content_type, "text/event-stream", 17) == 0;
		t->decided = 1;
	}
	if (t->streaming)
		return t->sink(t->sink_arg, data, len) != 0 ? cancelled(t->c) : ORA_OK;
	if ((r = oc_buf_append(&resp->body, data, len, OC_MAX_RESPONSE)) == 0)
		return ORA_OK;
	if (r == OC_BUF_FULL)
		return oc_fail(t->c, ORA_E_PROTOCOL, "the broker's answer is larger than %u MiB",
		    OC_MAX_RESPONSE >> 20);
	return oc_fail(t->c, ORA_E_NOMEM, "out of memory");
}

/* ---- the response head ---- */

struct head {
	long long content_length; /* -1: none */
	int chunked;
	int close;
};

/* The offset just past the blank line that ends a head in buf, or 0. Lines
 * end in CRLF, or in LF alone. */
static size_t
head_end(const char *buf, size_t len, size_t from)
{
	size_t i;

	for (i = from; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (i + 1 < len && buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* Whether the comma-separated header value list contains token. */
static int
has_token(const char *list, const char *token)
{
	size_t n = strlen(token);
	const char *p = list;

	while (*p != '\0') {
		p += strspn(p, " \t,");
		if (strncasecmp(p, token, n) == 0 &&
		    (p[n] == '\0' || strchr(" \t,;", p[n]) != NULL))
			return 1;
		p += strcspn(p, ",");
	}
	return 0;
}

static enum ora_status
header(struct transfer *t, char *name, char *value, struct head *h)
{
	struct oc_response *resp = t->resp;
	long long n;
	char *end;

	if (strcasecmp(name, "Content-Length") == 0) {
		errno = 0;
		n = strtoll(value, &end, 10);
		if (end == value || *end != '\0' || n < 0 || errno != 0 ||
		    (h->content_length >= 0 && h->content_length != n))
			return not_http(t, "Content-Length");
		h->content_length = n;
	} else if (strcasecmp(name, "Transfer-Encoding") == 0) {
		if (!has_token(value, "chunked"))
			return not_http(t, "a transfer coding other than chunked");
		h->chunked = 1;
	} else if (strcasecmp(name, "Connection") == 0) {
		if (has_token(value, "close"))
			h->close = 1;
	} else if (strcasecmp(name, "Content-Type") == 0) {
		snprintf(resp->content_type, sizeof(resp->content_type), "%s", value);
	} else if (strcasecmp(name, "X-Generation-Id") == 0) {
		/* Known before the first event: kept even if none arrives. */
		if (strlen(value) < sizeof(resp->generation_id))
			memcpy(resp->generation_id, value, strlen(value) + 1);
	} else if (strcasecmp(name, "Retry-After") == 0) {
		/* Only delay-seconds; an HTTP date is rare enough to ignore. */
		n = strtoll(value, &end, 10);
		if (end != value && *end == '\0' && n >= 0 && n <= 365L * 86400)
			resp->retry_after = (long)n;
	}
	return ORA_OK;
}

/* Parse the head in text (NUL-terminated, the blank line included). */
static enum ora_status
parse_head(struct transfer *t, char *text, struct head *h)
{
	char *line, *next, *colon, *value, *end;
	enum ora_status r;
	long status;
	int minor = 1;

	memset(h, 0, sizeof(*h));
	h->content_length = -1;
	t->resp->content_type[0] = '\0';
	t->resp->retry_after = -1;
	t->resp->generation_id[0] = '\0';
	for (line = text; *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) == NULL)
			return not_http(t, "head");
		*next++ = '\0';
		if (next - line >= 2 && next[-2] == '\r')
			next[-2] = '\0';
		if (line == text) {
			/* "HTTP/1.1 200 OK" */
			if (strncmp(line, "HTTP/1.", 7) != 0 ||
			    (line[7] != '0' && line[7] != '1') || line[8] != ' ')
				return not_http(t, "status line");
			minor = line[7] - '0';
			status = strtol(line + 9, &end, 10);
			if (end != line + 12 || status < 100 || status > 599 ||
			    (*end != ' ' && *end != '\0'))
				return not_http(t, "status line");
			t->resp->status = status;
			h->close = minor == 0; /* HTTP/1.0 closes unless it says otherwise */
			continue;
		}
		if (*line == '\0')
			break;
		if ((colon = strchr(line, ':')) == NULL || colon == line)
			return not_http(t, "header line");
		*colon = '\0';
		value = colon + 1 + strspn(colon + 1, " \t");
		for (end = value + strlen(value);
		     end > value && (end[-1] == ' ' || end[-1] == '\t');)
			*--end = '\0';
		if (minor == 0 && strcasecmp(line, "Connection") == 0 &&
		    has_token(value, "keep-alive"))
			h->close = 0;
		if ((r = header(t, line, value, h)) != ORA_OK)
			return r;
	}
	return ORA_OK;
}

/* Read the next head, skipping interim (1xx) answers. */
static enum ora_status
read_head(struct transfer *t, struct head *h)
{
	struct oc_buf head = {0};
	enum ora_status r = ORA_OK;
	size_t end, avail, scanned;
	ssize_t n;

	for (;;) {
		scanned = 0;
		oc_buf_reset(&head);
		while ((end = head_end(head.p, head.len, scanned)) == 0) {
			scanned = head.len > 2 ? head.len - 2 : 0;
			if (t->start == t->end) {
				if ((n = fill(t, &r)) < 0)
					goto out;
				if (n == 0) {
					r = broke_off(t);
					goto out;
				}
			}
			avail = t->end - t->start;
			if (oc_buf_append(&head, t->in + t->start, avail, OC_HEAD_MAX) != 0) {
				r = oc_fail(t->c, ORA_E_PROTOCOL,
				    "the broker's answer has a head larger than %u KiB",
				    OC_HEAD_MAX >> 10);
				goto out;
			}
			t->start = t->end;
		}
		/* Give back what follows the head: the start of the body. */
		t->start = t->end - (head.len - end);
		head.p[end] = '\0';
		if ((r = parse_head(t, head.p, h)) != ORA_OK)
			goto out;
		if (t->resp->status >= 200)
			break;
		if (t->resp->status == 101) {
			r = not_http(t, "an unexpected protocol switch");
			goto out;
		}
		t->resp->status = 0; /* 100 Continue and friends: the answer follows */
	}
out:
	oc_buf_free(&head);
	return r;
}

/* ---- the response body ---- */

/* Deliver up to len bytes of body as they arrive; with until_close, until
 * the broker closes the connection (len is then ignored). */
static enum ora_status
read_body(struct transfer *t, unsigned long long len, int until_close)
{
	enum ora_status r = ORA_OK;
	size_t take;
	ssize_t n;

	while (until_close || len > 0) {
		if (t->start == t->end) {
			if ((n = fill(t, &r)) < 0)
				return r;
			if (n == 0)
				return until_close ? ORA_OK : broke_off(t);
		}
		take = t->end - t->start;
		if (!until_close && take > len)
			take = (size_t)len;
		if ((r = deliver(t, t->in + t->start, take)) != ORA_OK)
			return r;
		t->start += take;
		len -= until_close ? 0 : take;
	}
	return ORA_OK;
}

/* One line (chunk size, trailer) into line, without its line end. */
static enum ora_status
read_line(struct transfer *t, char *line, size_t size)
{
	enum ora_status r = ORA_OK;
	size_t len = 0, take;
	char *nl;
	ssize_t n;

	for (;;) {
		if (t->start == t->end) {
			if ((n = fill(t, &r)) < 0)
				return r;
			if (n == 0)
				return broke_off(t);
		}
		nl = memchr(t->in + t->start, '\n', t->end - t->start);
		take = nl != NULL ? (size_t)(nl - (t->in + t->start)) : t->end - t->start;
		if (len + take >= size)
			return not_http(t, "chunk line too long");
		memcpy(line + len, t->in + t->start, take);
		len += take;
		t->start += take;
		if (nl != NULL) {
			t->start++;
			if (len > 0 && line[len - 1] == '\r')
				len--;
			line[len] = '\0';
			return ORA_OK;
		}
	}
}

static enum ora_status
read_chunked(struct transfer *t)
{
	char line[OC_CHUNK_LINE_MAX], *end;
	unsigned long long size;
	enum ora_status r;

	for (;;) {
		if ((r = read_line(t, line, sizeof(line))) != ORA_OK)
			return r;
		errno = 0;
		size = strtoull(line, &end, 16);
		if (end == line || errno != 0 ||
		    (*end != '\0' && *end != ';' && *end != ' ' && *end != '\t'))
			return not_http(t, "chunk size");
		if (size == 0)
			break;
		if ((r = read_body(t, size, 0)) != ORA_OK ||
		    (r = read_line(t, line, sizeof(line))) != ORA_OK)
			return r;
		if (line[0] != '\0')
			return not_http(t, "chunk end");
	}
	do { /* trailers, up to the blank line */
		if ((r = read_line(t, line, sizeof(line))) != ORA_OK)
			return r;
	} while (line[0] != '\0');
	return ORA_OK;
}

static enum ora_status
read_response(struct transfer *t)
{
	struct head h;
	enum ora_status r;
	long s;

	if ((r = read_head(t, &h)) != ORA_OK)
		return r;
	s = t->resp->status;
	if (t->head_request || s == 204 || s == 304)
		r = ORA_OK;
	else if (h.chunked)
		r = read_chunked(t);
	else if (h.content_length >= 0)
		r = read_body(t, (unsigned long long)h.content_length, 0);
	else {
		r = read_body(t, 0, 1);
		h.close = 1;
	}
	/* Bytes after the answer would be taken for the next one: close. */
	t->keep = r == ORA_OK && !h.close && t->start == t->end;
	return r;
}

/* ---- the request ---- */

static int
valid_method(const char *method)
{
	size_t n = strlen(method);

	return n > 0 && n < METHOD_MAX && strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == n;
}

static int
valid_path(const char *path)
{
	const unsigned char *p;

	if (path[0] != '/')
		return 0;
	for (p = (const unsigned char *)path; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f)
			return 0;
	return 1;
}

/* The request head, followed by the body when it is small (*body_sent is
 * then set); the host name only fills the Host header, the socket is the
 * address. NULL when out of memory. */
static char *
request_head(const struct ora_client *c, const char *method, const char *path, const char *body,
    size_t body_len, int *body_sent)
{
	char cost_centre[32 + OC_COST_CENTRE_MAX] = "", length[64] = "";
	size_t size, n;
	char *head;
	int has_body = body != NULL || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
	               strcmp(method, "PATCH") == 0;

	if (c->cost_centre[0] != '\0')
		snprintf(
		    cost_centre, sizeof(cost_centre), "X-Ora-Cost-Centre: %s\r\n", c->cost_centre);
	if (has_body)
		snprintf(
		    length, sizeof(length), "Content-Length: %zu\r\n", body != NULL ? body_len : 0);
	size = strlen(method) + strlen(path) + strlen(cost_centre) + strlen(length) + 256;
	if (body != NULL && body_len <= SMALL_BODY && memchr(body, '\0', body_len) == NULL)
		size += body_len;
	if ((head = malloc(size)) == NULL)
		return NULL;
	n = (size_t)snprintf(head, size,
	    "%s %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: libora-client/" PACKAGE_VERSION
	    "\r\nAccept: */*\r\n%s%s%s\r\n",
	    method, path, body != NULL ? "Content-Type: application/json\r\n" : "", cost_centre,
	    length);
	/* A small body goes in the same write as the head: the broker wakes
	 * once for the whole request, not twice. */
	if (body != NULL && n + body_len < size) {
		memcpy(head + n, body, body_len);
		head[n + body_len] = '\0';
		*body_sent = 1;
	}
	return head;
}

static enum ora_status
exchange(struct transfer *t, const char *head, const char *body, size_t body_len)
{
	enum ora_status r;
	int early = 0;

	/* head may already hold the body (request_head()). */
	if ((r = send_all(t, head, strlen(head), &early)) != ORA_OK)
		return r;
	if (body != NULL && (r = send_all(t, body, body_len, &early)) != ORA_OK)
		return r;
	if ((r = read_response(t)) == ORA_OK && early)
		t->keep = 0;
	return r;
}

static void
transfer_start(struct transfer *t, struct ora_client *c, const char *method, oc_sink_fn sink,
    void *sink_arg, struct oc_response *resp)
{
	memset(t, 0, offsetof(struct transfer, in));
	t->c = c;
	t->resp = resp;
	t->sink = sink;
	t->sink_arg = sink_arg;
	t->head_request = strcmp(method, "HEAD") == 0;
	if (c->timeout_ms > 0)
		t->deadline = now_ms() + c->timeout_ms;
}

enum ora_status
oc_receive(struct ora_client *c, const char *method, oc_sink_fn sink, void *sink_arg,
    struct oc_response *resp)
{
	struct transfer *t;
	enum ora_status r;

	memset(resp, 0, sizeof(*resp));
	resp->retry_after = -1;
	if ((t = malloc(sizeof(*t))) == NULL)
		return oc_fail(c, ORA_E_NOMEM, "out of memory");
	transfer_start(t, c, method, sink, sink_arg, resp);
	r = read_response(t);
	c->http_status = resp->status;
	c->retry_after = resp->retry_after;
	free(t);
	return r;
}

enum ora_status
oc_perform(struct ora_client *c, const char *method, const char *path, const char *body,
    size_t body_len, oc_sink_fn sink, void *sink_arg, struct oc_response *resp)
{
	struct transfer *t;
	enum ora_status r;
	char *head = NULL;
	int attempt, reused, body_sent = 0;

	memset(resp, 0, sizeof(*resp));
	resp->retry_after = -1;
	if (!valid_method(method) || !valid_path(path))
		return oc_fail(c, ORA_E_INVALID, "invalid request method or path");
	if ((t = malloc(sizeof(*t))) == NULL ||
	    (head = request_head(c, method, path, body, body_len, &body_sent)) == NULL) {
		free(t);
		return oc_fail(c, ORA_E_NOMEM, "out of memory");
	}

	for (attempt = 0;; attempt++) {
		transfer_start(t, c, method, sink, sink_arg, resp);
		if (c->fd >= 0 && connection_stale(c->fd))
			drop_connection(c);
		reused = c->fd >= 0;
		if (!reused && (r = connect_broker(t)) != ORA_OK)
			break;
		r = exchange(t, head, body_sent ? NULL : body, body_len);
		/* A kept-alive connection the broker closed just as it was
		 * reused: nothing was answered, so nothing was done. Once more,
		 * on a new connection. */
		if (r != ORA_OK && reused && attempt == 0 && t->received == 0 &&
		    r == ORA_E_UNREACHABLE) {
			drop_connection(c);
			oc_buf_reset(&resp->body);
			resp->status = 0;
			continue;
		}
		break;
	}
	if (r != ORA_OK || !t->keep)
		drop_connection(c);
	c->http_status = resp->status;
	c->retry_after = resp->retry_after;
	free(head);
	free(t);
	return r;
}
