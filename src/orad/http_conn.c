/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "config/identity.h"
#include "orad/http_conn.h"
#include "orad/http_parse.h"
#include "orad/orad.h"
#include "orad/peers.h"
#include "orad/reply.h"
#include "orad/tcpident.h"
#include "orad/whois.h"
#include "orad/wire.h"

enum conn_state {
	C_HEAD,    /* reading a head (or idle between requests) */
	C_BODY,    /* reading a body */
	C_SERVING, /* the request is with its handler; not reading */
	C_CLOSING, /* answered; closing once the answer is written */
};

struct http_req {
	struct http_conn *c;
	struct evbuffer *headers; /* "Name: value\r\n" lines added by the handler */
	int has_content_type;
	int close;                /* the handler asked for Connection: close */
	int started;              /* a streamed answer's head is out */
	int chunked;
	void (*drain_fn)(void *arg);
	void *drain_arg;
	size_t low_water;
	void *kept;               /* http_req_keep */
	void (*kept_free)(void *p);
};

struct http_conn {
	struct http_server *s;
	struct orad_conn *peer;
	int fd;
	enum conn_state state;
	int idle;                 /* kept alive, nothing of the next request yet */
	int broken;               /* a write failed: close from the loop */
	int resume;               /* read the next request once the answer is out */
	int refused;              /* closing on an error: linger (conn_close) */
	/* Reads and hang-ups, registered once for the connection's life
	 * (see on_read): switching between the two per request cost two
	 * epoll_ctl calls a request. */
	struct event *ev_read;
	struct event *ev_closed;  /* a hang-up while parked (see park) */
	int parked;               /* ev_read off until the answer is out */
	struct event *ev_write;
	struct event *ev_deadline;
	struct event *ev_stall;
	struct evbuffer *out;
	struct evbuffer *in;      /* read but not parsed: the next request */
	struct http_parser parser;
	size_t held;              /* counted in pending_bytes */
	struct http_req *req;
	struct http_conn *prev, *next;
};

/* A listening socket: the Unix socket, or a loopback TCP one whose callers
 * the kernel identifies through ident. */
struct http_door {
	struct http_server *s;
	int fd;                      /* -1 once closed */
	const char *name;            /* for the log: the path or daemon.listen entry */
	struct orad_tcpident *ident; /* NULL: the Unix socket (SO_PEERCRED) */
	struct event *ev_accept;
	/* TCP: the listener's own address. Bound to one loopback address
	 * (daemon.listen takes no wildcard), it is the local end of every
	 * connection accepted on it, so no getsockname per connection. */
	struct sockaddr_storage local;
	int local_known;
	/* TCP_NODELAY is set on the listener; Linux copies it to each
	 * accepted socket. Checked on the first one (nodelay_checked), and
	 * set on each (nodelay_each) if it did not carry over. */
	int nodelay_checked, nodelay_each;
};

struct http_server {
	struct orad *d;
	struct http_door doors[HTTP_MAX_DOORS];
	size_t n_doors;
	struct event *ev_pause;
	long open;
	long auto_max;            /* max_connections sized from RLIMIT_NOFILE */
	size_t pending;           /* bytes held for unfinished requests */
	struct http_conn *conns;
	struct refused *lingering;
	long n_lingering;
	void (*on_request)(struct orad *d, struct http_req *req);
	int (*on_head)(struct orad *d, struct http_req *req);
};

static const struct ora_daemon_conf *
dconf(const struct http_server *s)
{
	return &s->d->conf->daemon;
}

/* The bytes of an error answer that closes the connection, in w's shape
 * (NULL: chat completions', the shape of every path that is not a wire). */
static void
put_error(struct evbuffer *out, const struct orad_wire *w, int status, const char *type,
    const char *message)
{
	size_t len;
	char *body = (w != NULL ? w->error_body : reply_error_body)(status, type, message, &len);

	evbuffer_add_printf(out,
	    "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n",
	    status, reply_reason(status), len);
	evbuffer_add(out, body, len);
	free(body);
}

/* Write what can be written now. -1: the connection is broken. */
static int
try_write(struct http_conn *c)
{
	while (evbuffer_get_length(c->out) > 0) {
		int n = evbuffer_write(c->out, c->fd);
		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			break;
		return -1;
	}
	return 0;
}

static void
arm(struct event *ev, long seconds)
{
	struct timeval tv = { seconds, 0 };

	evtimer_add(ev, &tv);
}

/* Count what the connection holds for its unfinished request. A request
 * with its handler is finished as far as the door is concerned: its body
 * is freed when the handler returns, and its head is bounded by
 * max_header_bytes per connection. */
static void
account(struct http_conn *c)
{
	size_t now = c->state == C_SERVING ? 0 : http_parser_held(&c->parser) + evbuffer_get_length(c->in);

	c->peer->user->pending_bytes += now - c->held;
	c->s->pending += now - c->held;
	c->held = now;
}

/* A connection the door refused (at accept, or mid-request) lingers a
 * moment before it is closed, so that a client still sending its request
 * can read why it was refused: closing at once would fail its write with
 * EPIPE first. Bounded in number, time and bytes read (and dropped), so
 * refusals cannot be turned into holdings. */
struct refused {
	struct http_server *s;
	int fd;
	size_t discarded;
	struct event *ev;
	struct refused *prev, *next;
};

static void
linger_end(struct refused *l)
{
	if (l->prev != NULL)
		l->prev->next = l->next;
	else
		l->s->lingering = l->next;
	if (l->next != NULL)
		l->next->prev = l->prev;
	l->s->n_lingering--;
	event_free(l->ev);
	close(l->fd);
	free(l);
}

static void
on_linger(evutil_socket_t fd, short what, void *arg)
{
	struct refused *l = arg;
	char buf[4096];
	ssize_t n;

	if (what & EV_TIMEOUT) {
		linger_end(l);
		return;
	}
	n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 || (l->discarded += (size_t)n) > HTTP_LINGER_BYTES)
		linger_end(l);
}

/* Close fd after a refusal: linger if there is room, else at once. */
static void
linger_or_close(struct http_server *s, int fd)
{
	struct timeval tv = { 0, HTTP_LINGER_MS * 1000 };
	struct refused *l;

	if (s->n_lingering >= HTTP_MAX_LINGER || shutdown(fd, SHUT_WR) != 0 ||
	    (l = calloc(1, sizeof(*l))) == NULL) {
		close(fd);
		return;
	}
	l->s = s;
	l->fd = fd;
	l->ev = event_new(s->d->base, fd, EV_READ | EV_PERSIST, on_linger, l);
	l->next = s->lingering;
	if (l->next != NULL)
		l->next->prev = l;
	s->lingering = l;
	s->n_lingering++;
	event_add(l->ev, &tv);
}

/* Close c; linger: it was answered and refused, so let the client read
 * why (see linger_or_close). */
static void
req_free(struct http_req *req)
{
	if (req->kept != NULL)
		req->kept_free(req->kept);
	evbuffer_free(req->headers);
	free(req);
}

static void
conn_close(struct http_conn *c, int linger)
{
	struct http_server *s = c->s;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->pending -= c->held;
	c->peer->user->pending_bytes -= c->held;
	/* The request being served hears of it first, so that it stops
	 * its upstream transfer; then it no longer holds req. */
	peers_conn_close(s->d->peers, c->peer);
	if (c->req != NULL)
		req_free(c->req);
	http_parser_free(&c->parser);
	event_free(c->ev_read);
	event_free(c->ev_closed);
	event_free(c->ev_write);
	event_free(c->ev_deadline);
	event_free(c->ev_stall);
	evbuffer_free(c->out);
	evbuffer_free(c->in);
	if (linger)
		linger_or_close(s, c->fd);
	else
		close(c->fd);
	s->open--;
	free(c);
}

/* Start writing what is queued. Never closes (callers may still hold the
 * request); a failure is handled from the loop. */
static void
flush(struct http_conn *c)
{
	size_t before = evbuffer_get_length(c->out);

	if (!c->broken && try_write(c) != 0)
		c->broken = 1;
	if (c->broken || (c->state == C_CLOSING && evbuffer_get_length(c->out) == 0)) {
		event_active(c->ev_write, EV_WRITE, 0);
		return;
	}
	if (evbuffer_get_length(c->out) > 0) {
		event_add(c->ev_write, NULL);
		if (evbuffer_get_length(c->out) < before || !evtimer_pending(c->ev_stall, NULL))
			arm(c->ev_stall, HTTP_WRITE_STALL_S);
	}
}

/* The wire shape of the path the refused request names, once its request
 * line has arrived (split by the parser, or still raw in the head being
 * read); NULL before that or for a path that is not a wire. */
static const struct orad_wire *
door_wire(const struct http_parser *p)
{
	const char *path = p->target, *end;

	if (path == NULL) {
		const char *line_end = p->head != NULL ? memchr(p->head, '\n', p->head_len) : NULL;
		if (line_end == NULL || (path = memchr(p->head, ' ', (size_t)(line_end - p->head))) == NULL)
			return NULL;
		path++;
		if ((end = memchr(path, ' ', (size_t)(line_end - path))) == NULL)
			return NULL;
	} else {
		end = path + strlen(path);
	}
	const char *q = memchr(path, '?', (size_t)(end - path));
	return wire_find(path, (size_t)((q != NULL ? q : end) - path));
}

/* Answer an error from the door itself (no handler involved) and close. */
static void
conn_refuse(struct http_conn *c, int status, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
conn_refuse(struct http_conn *c, int status, const char *type, const char *fmt, ...)
{
	char message[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	if (c->req != NULL) {
		req_free(c->req);
		c->req = NULL;
	}
	put_error(c->out, door_wire(&c->parser), status, type, message);
	c->state = C_CLOSING;
	c->refused = 1;
	event_del(c->ev_read);
	event_del(c->ev_closed);
	evtimer_del(c->ev_deadline);
	/* Nothing of the request is needed any more. */
	http_parser_free(&c->parser);
	evbuffer_drain(c->in, evbuffer_get_length(c->in));
	account(c);
	flush(c);
}

static long
per_uid_cap(const struct http_server *s)
{
	const struct ora_daemon_conf *dc = dconf(s);

	return dc->max_pending_bytes_per_uid > 0 ? dc->max_pending_bytes_per_uid : 4 * dc->max_body_bytes;
}

/* After the connection's holdings grew: over a cap, refuse and close.
 * Returns -1 when refused. */
static int
check_holdings(struct http_conn *c)
{
	const struct ora_daemon_conf *dc = dconf(c->s);

	account(c);
	if (c->s->pending > (size_t)dc->max_pending_bytes) {
		conn_refuse(c, 503, ORA_ERR_UNAVAILABLE,
		    "the broker holds %ld bytes of requests still being sent, its limit for all users "
		    "(daemon.max_pending_bytes); try again in a moment",
		    dc->max_pending_bytes);
		return -1;
	}
	if (c->peer->user->pending_bytes > (size_t)per_uid_cap(c->s)) {
		conn_refuse(c, 429, ORA_ERR_RATE_LIMITED,
		    "your requests still being sent hold more than %ld bytes, your limit "
		    "(daemon.max_pending_bytes_per_uid); send fewer large requests at once",
		    per_uid_cap(c->s));
		return -1;
	}
	return 0;
}

static void
reset_for_next(struct http_conn *c)
{
	struct http_limits limits = { (size_t)dconf(c->s)->max_header_bytes,
		(size_t)dconf(c->s)->max_body_bytes };

	http_parser_free(&c->parser);
	http_parser_init(&c->parser, &limits);
	account(c);
}

/* Read again: after accept, or after an answer was written. */
static void
resume_reading(struct http_conn *c)
{
	c->state = C_HEAD;
	c->idle = 1;
	arm(c->ev_deadline, dconf(c->s)->keepalive_timeout);
	if (c->parked) {
		event_del(c->ev_closed);
		c->parked = 0;
	}
	event_add(c->ev_read, NULL); /* no system call if still added */
	if (evbuffer_get_length(c->in) > 0)
		event_active(c->ev_read, EV_READ, 0);
}

static struct http_req *
req_new(struct http_conn *c)
{
	struct http_req *req = calloc(1, sizeof(*req));

	if (req == NULL)
		abort();
	req->c = c;
	req->headers = evbuffer_new();
	return req;
}

static void
dispatch(struct http_conn *c)
{
	c->state = C_SERVING;
	account(c);
	evtimer_del(c->ev_deadline);
	/* While the handler works orad reads nothing, but a hang-up must
	 * still stop the upstream transfer at once: ev_read stays, and
	 * on_read tells the two apart. */
	c->s->on_request(c->s->d, c->req);
	if (c->state == C_SERVING && c->parser.body != NULL) {
		/* Handlers read the body before they return; an answer that
		 * takes minutes must not keep it. */
		free(c->parser.body);
		c->parser.body = NULL;
		c->parser.body_cap = c->parser.body_len = 0;
	}
}

/* The head is complete: deadlines, the early look, 100-continue. */
static int
head_done(struct http_conn *c)
{
	c->state = C_BODY;
	c->req = req_new(c);
	c->peer->requests++;
	arm(c->ev_deadline, dconf(c->s)->body_timeout);
	if (c->s->on_head != NULL && (c->parser.chunked || c->parser.content_length > 0) &&
	    c->s->on_head(c->s->d, c->req) != 0)
		return -1; /* answered: the connection closes, the body unread */
	if (c->parser.expect_continue && (c->parser.chunked || c->parser.content_length > 0)) {
		evbuffer_add(c->out, "HTTP/1.1 100 Continue\r\n\r\n", 25);
		flush(c);
	}
	return 0;
}

/* Feed bytes to the parser; dispatch a complete request. Bytes after it
 * wait in c->in for the next one. */
static void
feed(struct http_conn *c, const char *data, size_t len)
{
	size_t off = 0, used;

	if (c->idle && len > 0) {
		/* The head's absolute deadline starts with its first byte. */
		c->idle = 0;
		arm(c->ev_deadline, dconf(c->s)->header_timeout);
	}
	for (;;) {
		enum http_parse_result r = http_parse(&c->parser, data + off, len - off, &used);
		off += used;
		if (r == HTTP_PARSE_ERROR) {
			conn_refuse(c, c->parser.status,
			    c->parser.status == 413 || c->parser.status == 431 ? ORA_ERR_TOO_LARGE
			                                                        : ORA_ERR_BAD_REQUEST,
			    "%s", c->parser.message);
			return;
		}
		if (check_holdings(c) != 0)
			return;
		if (r == HTTP_PARSE_MORE)
			return;
		if (r == HTTP_PARSE_HEAD) {
			if (head_done(c) != 0)
				return;
			continue;
		}
		/* HTTP_PARSE_DONE: what follows goes before anything still
		 * waiting in c->in (it came first). */
		evbuffer_prepend(c->in, data + off, len - off);
		account(c);
		dispatch(c);
		return;
	}
}

/* Bytes of a next request came while this one is served (or its answer
 * written): leave them in the kernel until the answer is out, watching
 * only for a hang-up while serving. Level-triggered, ev_read would wake
 * the loop for them on every turn. Costs the epoll_ctl calls that clients
 * which do not pipeline are spared. */
static void
park(struct http_conn *c)
{
	event_del(c->ev_read);
	if (c->state == C_SERVING)
		event_add(c->ev_closed, NULL);
	c->parked = 1;
}

static void
on_read(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;
	char buf[HTTP_READ_CHUNK];
	ssize_t n;

	if (c->state == C_SERVING && !c->resume && (what & EV_CLOSED)) {
		conn_close(c, 0); /* a hang-up: stop the upstream transfer */
		return;
	}
	if (c->state == C_SERVING || c->resume) {
		park(c);
		return;
	}
	if (c->state != C_HEAD && c->state != C_BODY)
		return; /* closing */
	if (evbuffer_get_length(c->in) > 0) {
		/* A request that arrived behind the previous one. */
		n = evbuffer_remove(c->in, buf, sizeof(buf));
		account(c);
		feed(c, buf, (size_t)n);
		if (c->state == C_HEAD || c->state == C_BODY)
			event_active(c->ev_read, EV_READ, 0);
		return;
	}
	n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		/* End of file or an error: there is no one to answer. */
		conn_close(c, 0);
		return;
	}
	feed(c, buf, (size_t)n);
}

static void
on_write(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;
	size_t before = evbuffer_get_length(c->out);

	if (c->broken || try_write(c) != 0) {
		conn_close(c, 0);
		return;
	}
	if (evbuffer_get_length(c->out) < before)
		arm(c->ev_stall, HTTP_WRITE_STALL_S);
	if (evbuffer_get_length(c->out) == 0) {
		event_del(c->ev_write);
		evtimer_del(c->ev_stall);
		if (c->state == C_CLOSING) {
			conn_close(c, c->refused);
			return;
		}
		if (c->resume) {
			c->resume = 0;
			resume_reading(c);
		}
	}
	if (c->req != NULL && c->req->drain_fn != NULL &&
	    evbuffer_get_length(c->out) <= c->req->low_water) {
		void (*fn)(void *) = c->req->drain_fn;
		c->req->drain_fn = NULL;
		fn(c->req->drain_arg);
	}
}

static void
on_hangup(evutil_socket_t fd, short what, void *arg)
{
	conn_close(arg, 0);
}

static void
on_stall(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;

	ora_log_info("closing a connection of uid %u: it took nothing of its answer for %d s",
	    (unsigned)c->peer->uid, HTTP_WRITE_STALL_S);
	conn_close(c, 0);
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;
	const struct ora_daemon_conf *dc = dconf(c->s);

	if (c->state == C_HEAD && c->idle) {
		conn_close(c, 0); /* kept alive and unused: nothing to answer */
		return;
	}
	if (c->state == C_HEAD)
		conn_refuse(c, 408, ORA_ERR_REQUEST_TIMEOUT,
		    "the request head did not arrive within %ld seconds (daemon.header_timeout); send "
		    "the whole head at once",
		    dc->header_timeout);
	else if (c->state == C_BODY)
		conn_refuse(c, 408, ORA_ERR_REQUEST_TIMEOUT,
		    "the request body did not arrive within %ld seconds of its head "
		    "(daemon.body_timeout); send it faster or make it smaller",
		    dc->body_timeout);
}

/* Whether the peer may use the reserve above max_connections. */
static int
privileged(struct http_server *s, struct orad_conn *peer)
{
	const char *group = dconf(s)->admin_group;
	struct ora_identity id = { 0 };
	struct ora_error err;
	int yes;

	if (peer->uid == 0)
		return 1;
	if (group == NULL || whois_resolve(s->d->whois, peer, &id, &err) != 0)
		return 0;
	yes = ora_identity_in_group(&id, group);
	ora_identity_clear(&id);
	return yes;
}

static long
max_connections(const struct http_server *s)
{
	return dconf(s)->max_connections > 0 ? dconf(s)->max_connections : s->auto_max;
}

/* Refuse a connection at the door: a short answer, written directly (the
 * socket's buffer is empty, so it fits), then closed. */
static void
refuse_at_accept(struct http_server *s, int fd, int status, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
refuse_at_accept(struct http_server *s, int fd, int status, const char *type, const char *fmt, ...)
{
	struct evbuffer *out = evbuffer_new();
	char message[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	/* Before a byte is read the path, and so the wire, is unknown: chat
	 * completions' shape, which every client reads as an HTTP status. */
	put_error(out, NULL, status, type, message);
	evbuffer_write(out, fd);
	evbuffer_free(out);
	linger_or_close(s, fd);
}

/* Answers and stream events are written as they are ready; Nagle would
 * hold a small one back until the client's delayed ACK. */
static void
tcp_nodelay(struct http_door *door, int fd)
{
	int one = 1, on = 0;
	socklen_t len = sizeof(on);

	if (!door->nodelay_checked) {
		door->nodelay_checked = 1;
		door->nodelay_each =
		    getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &len) != 0 || on == 0;
	}
	if (door->nodelay_each)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* A TCP caller: the kernel names the uid owning the client's socket, by
 * the connection's exact four-tuple, once, before a byte is read. Any
 * doubt (no answer, several, not loopback, an error) refuses it: there is
 * no other way to tell who it is. peer is the client's end as accept4
 * gave it (plen 0: not given). */
static struct orad_conn *
identify_tcp(struct http_server *s, struct http_door *door, int fd,
    const struct sockaddr_storage *peer, socklen_t plen)
{
	struct sockaddr_storage local_here;
	const struct sockaddr_storage *local = &door->local;
	socklen_t llen = sizeof(local_here);
	char label[sizeof(((struct orad_conn *)0)->comm)];
	struct ora_error err;
	uid_t uid;
	int r;

	if (!door->local_known)
		local = &local_here;
	if (plen == 0)
		r = ora_error_set(&err, "Cannot read the address of a TCP connection's client.");
	else if (!door->local_known && getsockname(fd, (struct sockaddr *)&local_here, &llen) != 0)
		r = ora_error_set(
		    &err, "Cannot read the addresses of a TCP connection: %s.", strerror(errno));
	else
		r = orad_tcpident_uid(door->ident, (const struct sockaddr *)local,
		    (const struct sockaddr *)peer, &uid, &err);
	if (r != 0) {
		char host[INET6_ADDRSTRLEN];
		const int v6 = peer->ss_family == AF_INET6;
		const struct sockaddr_in6 *p6 = (const struct sockaddr_in6 *)peer;
		const struct sockaddr_in *p4 = (const struct sockaddr_in *)peer;

		if (plen == 0 ||
		    inet_ntop(peer->ss_family,
		        v6 ? (const void *)&p6->sin6_addr : (const void *)&p4->sin_addr, host,
		        sizeof(host)) == NULL)
			ora_strlcpy(host, "?", sizeof(host));
		ora_log_refusal(HTTP_UNIDENTIFIED_UID,
		    "refused a TCP connection from %s port %d on %s: %s", host,
		    plen == 0 ? 0 : ntohs(v6 ? p6->sin6_port : p4->sin_port), door->name, err.msg);
		refuse_at_accept(s, fd, 403, ORA_ERR_NOT_PERMITTED,
		    "the broker cannot tell which local user owns this TCP connection, so it "
		    "refuses it. %s Connect from this machine over loopback, or use the Unix "
		    "socket",
		    err.msg);
		return NULL;
	}
	tcp_nodelay(door, fd);
	orad_tcpident_label((const struct sockaddr *)peer, label, sizeof(label));
	return peers_conn_open_tcp(s->d->peers, fd, uid, label);
}

static void
admit(struct http_server *s, struct http_door *door, int fd, const struct sockaddr_storage *from,
    socklen_t plen)
{
	const struct ora_daemon_conf *dc = dconf(s);
	struct orad_conn *peer;
	struct http_conn *c;

	if (door->ident != NULL) {
		if ((peer = identify_tcp(s, door, fd, from, plen)) == NULL)
			return;
	} else if ((peer = peers_conn_open(s->d->peers, fd)) == NULL) {
		refuse_at_accept(s, fd, 403, ORA_ERR_NOT_PERMITTED,
		    "the broker cannot read your peer credentials, so it cannot tell who you are");
		return;
	}
	if (peer->user->connections > dc->max_connections_per_uid) {
		long n = peer->user->connections - 1;
		peers_conn_close(s->d->peers, peer);
		refuse_at_accept(s, fd, 429, ORA_ERR_TOO_MANY_CONNECTIONS,
		    "you already have %ld connections open to this broker "
		    "(daemon.max_connections_per_uid); close some",
		    n);
		return;
	}
	if (s->open >= max_connections(s) &&
	    (s->open >= max_connections(s) + HTTP_ADMIN_RESERVE || !privileged(s, peer))) {
		peers_conn_close(s->d->peers, peer);
		refuse_at_accept(s, fd, 503, ORA_ERR_UNAVAILABLE,
		    "the broker has %ld connections open, its limit (daemon.max_connections); try "
		    "again in a moment",
		    s->open);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		abort();
	c->s = s;
	c->peer = peer;
	c->fd = fd;
	c->out = evbuffer_new();
	c->in = evbuffer_new();
	c->ev_read = event_new(s->d->base, fd, EV_READ | EV_CLOSED | EV_PERSIST, on_read, c);
	c->ev_closed = event_new(s->d->base, fd, EV_CLOSED | EV_PERSIST, on_hangup, c);
	c->ev_write = event_new(s->d->base, fd, EV_WRITE | EV_PERSIST, on_write, c);
	c->ev_deadline = evtimer_new(s->d->base, on_deadline, c);
	c->ev_stall = evtimer_new(s->d->base, on_stall, c);
	reset_for_next(c);
	c->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = c;
	s->conns = c;
	s->open++;
	c->state = C_HEAD;
	c->idle = 0;
	/* From accept, the head has its absolute deadline. */
	arm(c->ev_deadline, dc->header_timeout);
	event_add(c->ev_read, NULL);
}

static void
on_accept_again(evutil_socket_t fd, short what, void *arg)
{
	struct http_server *s = arg;

	for (size_t i = 0; i < s->n_doors; i++)
		if (s->doors[i].fd >= 0)
			event_add(s->doors[i].ev_accept, NULL);
}

static void
on_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct http_door *door = arg;
	struct http_server *s = door->s;

	for (int i = 0; i < HTTP_ACCEPT_BURST; i++) {
		/* A TCP caller's address comes with accept4, not a call more. */
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		int fd;

		peer.ss_family = AF_UNSPEC;
		if (door->ident != NULL)
			fd = accept4(
			    lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		else
			fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			if (door->ident != NULL && plen > sizeof(peer))
				plen = 0; /* truncated: cannot be a TCP address */
			admit(s, door, fd, &peer, door->ident != NULL ? plen : 0);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			/* Out of descriptors: the waiting connection would wake
			 * us again at once. Rest instead of spinning. */
			struct timeval tv = { 0, HTTP_ACCEPT_PAUSE_MS * 1000 };
			ora_log_warning("cannot accept connections (%s); pausing for %d ms",
			    strerror(errno), HTTP_ACCEPT_PAUSE_MS);
			for (size_t j = 0; j < s->n_doors; j++)
				event_del(s->doors[j].ev_accept);
			evtimer_add(s->ev_pause, &tv);
		}
		return;
	}
}

static int
add_door(struct http_server *s, int fd, const char *name, struct orad_tcpident *ident,
    struct ora_error *err)
{
	struct http_door *door;

	if (s->n_doors >= HTTP_MAX_DOORS)
		return ora_error_set(err, "cannot serve on %s: too many listening sockets", name);
	door = &s->doors[s->n_doors];
	door->s = s;
	door->fd = fd;
	door->name = name;
	door->ident = ident;
	door->local_known = door->nodelay_checked = door->nodelay_each = 0;
	if (ident != NULL) {
		socklen_t len = sizeof(door->local);

		/* A wildcard is not loopback: then each connection is asked. */
		door->local_known = getsockname(fd, (struct sockaddr *)&door->local, &len) == 0 &&
		                    len <= sizeof(door->local) &&
		                    orad_tcpident_is_loopback((struct sockaddr *)&door->local);
	}
	door->ev_accept = event_new(s->d->base, fd, EV_READ | EV_PERSIST, on_accept, door);
	if (door->ev_accept == NULL)
		return ora_error_set(err, "cannot serve on %s", name);
	s->n_doors++;
	if (event_add(door->ev_accept, NULL) != 0)
		return ora_error_set(err, "cannot serve on %s", name);
	return 0;
}

struct http_server *
http_server_new(struct orad *d, int listen_fd, void (*on_request)(struct orad *d, struct http_req *req),
    int (*on_head)(struct orad *d, struct http_req *req), struct ora_error *err)
{
	struct http_server *s = calloc(1, sizeof(*s));
	struct rlimit rl;

	if (s == NULL)
		abort();
	s->d = d;
	s->on_request = on_request;
	s->on_head = on_head;
	s->auto_max = 1024;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		/* Half of what is left after the reserve: the other half is
		 * for the upstream sockets their requests may open. */
		long n = ((long)rl.rlim_cur - HTTP_FD_RESERVE - HTTP_ADMIN_RESERVE) / 2;
		s->auto_max = n < 16 ? 16 : n;
	}
	s->ev_pause = evtimer_new(d->base, on_accept_again, s);
	if (s->ev_pause == NULL || add_door(s, listen_fd, "the Unix socket", NULL, err) != 0) {
		http_server_free(s);
		return NULL;
	}
	return s;
}

int
http_server_listen_tcp(struct http_server *s, int fd, const char *name,
    struct orad_tcpident *ident, struct ora_error *err)
{
	if (ident == NULL)
		return ora_error_set(err, "no way to identify callers on %s", name);
	return add_door(s, fd, name, ident, err);
}

void
http_server_stop_accepting(struct http_server *s)
{
	if (s == NULL)
		return;
	evtimer_del(s->ev_pause);
	for (size_t i = 0; i < s->n_doors; i++) {
		if (s->doors[i].fd < 0)
			continue;
		event_del(s->doors[i].ev_accept);
		close(s->doors[i].fd);
		s->doors[i].fd = -1;
	}
}

void
http_server_free(struct http_server *s)
{
	if (s == NULL)
		return;
	while (s->conns != NULL)
		conn_close(s->conns, 0);
	while (s->lingering != NULL)
		linger_end(s->lingering);
	for (size_t i = 0; i < s->n_doors; i++)
		event_free(s->doors[i].ev_accept);
	if (s->ev_pause != NULL)
		event_free(s->ev_pause);
	free(s);
}

long
http_server_output_pending(const struct http_server *s)
{
	long n = 0;

	for (const struct http_conn *c = s != NULL ? s->conns : NULL; c != NULL; c = c->next)
		n += evbuffer_get_length(c->out) > 0;
	return n;
}

long
http_server_connections(const struct http_server *s)
{
	return s != NULL ? s->open : 0;
}

size_t
http_server_pending_bytes(const struct http_server *s)
{
	return s != NULL ? s->pending : 0;
}

const char *
http_req_method(const struct http_req *req)
{
	return req->c->parser.method;
}

const char *
http_req_target(const struct http_req *req)
{
	return req->c->parser.target;
}

const char *
http_req_header(const struct http_req *req, const char *name)
{
	return http_parser_header(&req->c->parser, name);
}

int
http_req_header_at(const struct http_req *req, size_t i, const char **name, const char **value)
{
	const struct http_parser *p = &req->c->parser;

	if (i >= p->n_headers)
		return 0;
	*name = p->headers[i].name;
	*value = p->headers[i].value;
	return 1;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int
http_req_query(const struct http_req *req, const char *name, char *out, size_t size)
{
	const char *q = strchr(http_req_target(req), '?');
	size_t n = strlen(name);

	for (q = q != NULL ? q + 1 : NULL; q != NULL && *q != '\0' && *q != '#';) {
		size_t len = strcspn(q, "&#");
		if (len > n && q[n] == '=' && strncmp(q, name, n) == 0) {
			size_t o = 0;
			for (size_t i = n + 1; i < len; i++) {
				char c = q[i];
				if (c == '+') {
					c = ' ';
				} else if (c == '%') {
					int hi = i + 2 < len ? hex_value(q[i + 1]) : -1;
					int lo = hi >= 0 ? hex_value(q[i + 2]) : -1;
					if (lo < 0 || (hi == 0 && lo == 0))
						return -1;
					c = (char)(hi * 16 + lo);
					i += 2;
				}
				if (o + 1 >= size)
					return -1;
				out[o++] = c;
			}
			out[o] = '\0';
			return 1;
		}
		q += len;
		if (*q == '&')
			q++;
	}
	return 0;
}

void
http_req_keep(struct http_req *req, void *p, void (*free_fn)(void *p))
{
	if (req->kept != NULL)
		req->kept_free(req->kept);
	req->kept = p;
	req->kept_free = free_fn;
}

void *
http_req_take(struct http_req *req)
{
	void *p = req->kept;

	req->kept = NULL;
	return p;
}

const char *
http_req_body(const struct http_req *req, size_t *len)
{
	*len = req->c->parser.body_len;
	return req->c->parser.body != NULL ? req->c->parser.body : "";
}

struct orad_conn *
http_req_peer(const struct http_req *req)
{
	return req->c->peer;
}

void
http_reply_add_header(struct http_req *req, const char *name, const char *value)
{
	if (strcasecmp(name, "Connection") == 0 && strcasecmp(value, "close") == 0) {
		req->close = 1;
		return;
	}
	if (strcasecmp(name, "Content-Type") == 0)
		req->has_content_type = 1;
	evbuffer_add(req->headers, name, strlen(name));
	evbuffer_add(req->headers, ": ", 2);
	/* A line break in a value would start a header of its own: each
	 * becomes a blank. Copied a run at a time, not byte by byte. */
	for (const char *v = value; *v != '\0';) {
		size_t run = strcspn(v, "\r\n");
		evbuffer_add(req->headers, v, run);
		v += run;
		if (*v != '\0') {
			evbuffer_add(req->headers, " ", 1);
			v++;
		}
	}
	evbuffer_add(req->headers, "\r\n", 2);
}

/* The status line and header fields; length -1 for a streamed body. */
static void
put_head(struct http_req *req, int status, long long length)
{
	struct http_conn *c = req->c;
	int closing = req->close || !c->parser.keep_alive || c->state != C_SERVING || c->s->d->draining;

	if (length < 0 && c->parser.minor == 0)
		closing = 1; /* an HTTP/1.0 stream ends with the connection */
	req->chunked = length < 0 && !closing;
	evbuffer_add_printf(c->out, "HTTP/1.1 %d %s\r\n", status, reply_reason(status));
	if (!req->has_content_type)
		evbuffer_add(c->out, "Content-Type: application/json\r\n", 32);
	evbuffer_add_buffer(c->out, req->headers);
	if (length >= 0)
		evbuffer_add_printf(c->out, "Content-Length: %lld\r\n", length);
	else if (req->chunked)
		evbuffer_add(c->out, "Transfer-Encoding: chunked\r\n", 28);
	if (closing)
		evbuffer_add(c->out, "Connection: close\r\n", 19);
	else if (c->parser.minor == 0)
		evbuffer_add(c->out, "Connection: keep-alive\r\n", 24);
	evbuffer_add(c->out, "\r\n", 2);
	req->close = closing;
}

/* The request is answered: free it, then close or read the next one. */
static void
finish(struct http_req *req)
{
	struct http_conn *c = req->c;
	int closing = req->close;

	/* Answered before its body was read: the client may still be sending. */
	c->refused = c->state != C_SERVING;
	req_free(req);
	c->req = NULL;
	event_del(c->ev_closed);
	if (closing) {
		c->state = C_CLOSING;
		event_del(c->ev_read);
		evtimer_del(c->ev_deadline);
		http_parser_free(&c->parser);
		evbuffer_drain(c->in, evbuffer_get_length(c->in));
		account(c);
		flush(c);
		return;
	}
	reset_for_next(c);
	flush(c);
	/* A client that pipelines requests and reads no answers gets no
	 * more of them served until it takes what it was sent. */
	if (evbuffer_get_length(c->out) == 0) {
		resume_reading(c);
	} else {
		c->state = C_HEAD;
		c->resume = 1;
	}
}

void
http_reply(struct http_req *req, int status, const char *body, size_t len)
{
	put_head(req, status, (long long)len);
	if (strcmp(req->c->parser.method, "HEAD") != 0)
		evbuffer_add(req->c->out, body, len);
	finish(req);
}

void
http_reply_start(struct http_req *req, int status)
{
	put_head(req, status, -1);
	req->started = 1;
	flush(req->c);
}

void
http_reply_chunk(struct http_req *req, const char *data, size_t len)
{
	if (len == 0)
		return;
	if (req->chunked)
		evbuffer_add_printf(req->c->out, "%zx\r\n", len);
	evbuffer_add(req->c->out, data, len);
	if (req->chunked)
		evbuffer_add(req->c->out, "\r\n", 2);
	flush(req->c);
}

void
http_reply_end(struct http_req *req)
{
	if (req->chunked)
		evbuffer_add(req->c->out, "0\r\n\r\n", 5);
	finish(req);
}

size_t
http_req_output_pending(const struct http_req *req)
{
	return evbuffer_get_length(req->c->out);
}

void
http_req_on_drain(struct http_req *req, size_t low_water, void (*fn)(void *arg), void *arg)
{
	req->drain_fn = fn;
	req->drain_arg = arg;
	req->low_water = low_water;
}
