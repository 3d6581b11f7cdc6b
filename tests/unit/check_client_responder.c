/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_client_responder.c: a canned HTTP responder on a real Unix socket,
 * in a thread of the test: it reads each request and answers with bytes
 * the test chose, all at once or one byte per write, then keeps the
 * connection, closes it, or waits to see the client hang up.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check_client.h"

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read one request (head and Content-Length body); 0 at EOF, -1 on error. */
static int
read_request(struct responder *r, int fd)
{
	size_t len = 0, want = 0;
	const char *end, *cl;
	ssize_t n;

	for (;;) {
		if (len == REQUEST_MAX)
			return -1;
		if ((n = read(fd, r->request + len, REQUEST_MAX - len)) <= 0)
			return n == 0 && len == 0 ? 0 : -1;
		len += (size_t)n;
		r->request[len] = '\0';
		if ((end = strstr(r->request, "\r\n\r\n")) == NULL)
			continue;
		cl = strcasestr(r->request, "\r\nContent-Length:");
		want = (size_t)(end + 4 - r->request);
		if (cl != NULL && cl < end) {
			r->body_len = strtoul(cl + 17, NULL, 10);
			want += r->body_len;
		} else {
			r->body_len = 0;
		}
		if (len >= want) {
			r->request_len = len;
			return 1;
		}
	}
}

static void
wait_hangup(struct responder *r, int fd)
{
	struct pollfd p = {fd, POLLIN, 0};
	char buf[256];

	/* Bounded, so a client that never hangs up fails the test instead of
	 * hanging it. */
	while (poll(&p, 1, RESPONDER_HANGUP_WAIT_MS) == 1) {
		if (read(fd, buf, sizeof(buf)) <= 0) {
			r->saw_hangup = 1;
			return;
		}
	}
}

static void *
serve(void *arg)
{
	struct responder *r = arg;
	int i = 0, fd = -1;
	size_t j, len;

	while (i < r->n_canned) {
		if (fd < 0) {
			if ((fd = accept(r->listen_fd, NULL, NULL)) < 0)
				break;
			r->accepts++;
		}
		if (read_request(r, fd) <= 0) {
			close(fd);
			fd = -1;
			continue;
		}
		len = strlen(r->canned[i].bytes);
		if (r->canned[i].byte_by_byte) {
			for (j = 0; j < len; j++) {
				if (write_all(fd, r->canned[i].bytes + j, 1) != 0)
					break;
				usleep(200);
			}
		} else {
			write_all(fd, r->canned[i].bytes, len);
		}
		if (r->canned[i].after == WAIT_HANGUP)
			wait_hangup(r, fd);
		if (r->canned[i].after != KEEP) {
			close(fd);
			fd = -1;
		}
		i++;
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

void
responder_start(struct responder *r)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	memset(r->dir, 0, sizeof(r->dir));
	strcpy(r->dir, "/tmp/ora-check-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(r->dir));
	snprintf(r->path, sizeof(r->path), "%s/ora.sock", r->dir);
	strcpy(sa.sun_path, r->path);
	r->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(r->listen_fd, 0);
	ck_assert_int_eq(bind(r->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(r->listen_fd, 4), 0);
	ck_assert_int_eq(pthread_create(&r->thread, NULL, serve, r), 0);
}

void
responder_stop(struct responder *r)
{
	/* Unblocks an accept() still waiting for a connection. */
	shutdown(r->listen_fd, SHUT_RDWR);
	pthread_join(r->thread, NULL);
	close(r->listen_fd);
	unlink(r->path);
	rmdir(r->dir);
}

struct responder *
responder_new(const char *bytes, int byte_by_byte, enum after after)
{
	static struct responder r;

	memset(&r, 0, sizeof(r));
	r.canned[0] = (struct canned){bytes, byte_by_byte, after};
	r.n_canned = 1;
	return &r;
}

/* Responses built at run time, so lengths are computed, not typed. */
static char *owned[16];
static int n_owned;

static const char *
keep(char *s)
{
	ck_assert_ptr_nonnull(s);
	ck_assert_int_lt(n_owned, 16);
	return owned[n_owned++] = s;
}

void
free_owned(void)
{
	while (n_owned > 0)
		free(owned[--n_owned]);
}

/* An event stream, one chunk per piece; complete ends the chunked body. */
const char *
sse_response(const char *const *pieces, int complete)
{
	size_t cap = 256, len;
	char *out;
	int i;

	for (i = 0; pieces[i] != NULL; i++)
		cap += strlen(pieces[i]) + 16;
	ck_assert_ptr_nonnull(out = malloc(cap));
	len = (size_t)sprintf(out, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
	                           "Transfer-Encoding: chunked\r\n\r\n");
	for (i = 0; pieces[i] != NULL; i++)
		len += (size_t)sprintf(out + len, "%zx\r\n%s\r\n", strlen(pieces[i]), pieces[i]);
	if (complete)
		strcpy(out + len, "0\r\n\r\n");
	return keep(out);
}

const char *
http_response(const char *status, const char *headers, const char *type, const char *body)
{
	char *out;

	ck_assert_int_ge(asprintf(&out,
	                     "HTTP/1.1 %s\r\n%sContent-Type: %s\r\nContent-Length: %zu\r\n"
	                     "\r\n%s",
	                     status, headers, type, strlen(body), body),
	    0);
	return keep(out);
}

const char *
json_response(const char *status, const char *headers, const char *body)
{
	return http_response(status, headers, "application/json", body);
}
