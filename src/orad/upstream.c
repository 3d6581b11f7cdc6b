/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * upstream.c: orad's own HTTP/1.1 client for the upstream, on libevent's
 * bufferevents, with TLS through OpenSSL (bufferevent_openssl). It
 * replaces libcurl on this path: libcurl's per-transfer work (its printf
 * of the head a byte at a time, its connection lookup, its head parsing)
 * was 38% of orad's instructions per request (doc/design.md, "libcurl's
 * share").
 *
 * A transfer takes a kept-alive connection to its origin (scheme, host,
 * port, proxy, trusted authorities) or opens one: the name resolved with
 * evdns, TCP, a CONNECT tunnel through an https proxy, TLS verified
 * against the system's store or upstream.ca_file and the URL's host name.
 * The request is written whole; the answer is read by http_parse.c in its
 * response mode, its body passed on as it arrives. A connection goes back
 * to the pool when its answer ended cleanly and may be kept; an idle one
 * that becomes readable (closed by the upstream) is dropped.
 *
 * Not offered, as libcurl offered them: HTTP/2 (each request in flight
 * has a connection of its own), TLS session resumption, a proxy spoken to
 * over TLS, and proxy authentication (doc/design.md, "orad's own upstream
 * engine").
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "common/log.h"
#include "common/util.h"
#include "orad/http_parse.h"
#include "orad/upstream.h"
#include "orad/upstream_api.h"

/* The codes on_done gives, as relay.c reads them (libcurl's values). */
#define CODE_OK 0
#define CODE_CONNECT 7   /* could not connect (resolve, TCP, proxy) */
#define CODE_TLS 35      /* the TLS handshake failed */
#define CODE_TIMEOUT UPSTREAM_TIMED_OUT
#define CODE_SEND 55     /* the request could not be written */
#define CODE_RECV 56     /* the answer could not be read */
#define CODE_NOTHING 52  /* the connection closed before any answer */
#define CODE_PROTOCOL 8  /* the answer was not HTTP */

#define UPSTREAM_IDLE_MAX 256
/* An idle connection older than this is not reused: libcurl's limit. */
#define UPSTREAM_IDLE_MAX_S 118
#define UPSTREAM_HEAD_MAX (64 * 1024)
#define HOST_MAX 256

struct upstream_proxy_env {
	char *http, *https, *all, *none; /* NULL: not set */
};

/* Authorities trusted for https: the system's, or one upstream.ca_file. */
struct upstream_tls {
	SSL_CTX *system;
	SSL_CTX *custom;
	unsigned char custom_hash[crypto_generichash_BYTES];
};

struct orad_upstream {
	struct event_base *base;
	struct evdns_base *dns;
	struct upstream_tls tls;
	struct upstream_proxy_env env;
	size_t active;
	long connections_opened;
	struct upstream_conn *idle; /* most recently used first */
	size_t n_idle;
};

/* Where a URL goes. */
struct upstream_target {
	int tls;
	char host[HOST_MAX];
	int port;
	const char *path; /* into the URL's text: "/..." */
	char proxy_host[HOST_MAX];
	int proxy_port; /* 0: no proxy */
	char proxy_auth[HOST_MAX * 2]; /* "Proxy-Authorization: Basic ...\r\n", or "" */
};

struct upstream_conn {
	struct orad_upstream *u;
	struct upstream_conn *next; /* in the idle list */
	char key[HOST_MAX * 3 + 96];
	char host[HOST_MAX]; /* what it connects to: the upstream's, or the proxy's */
	struct bufferevent *bev;
	struct upstream_xfer *x; /* the transfer on it; NULL when idle */
	time_t idle_since;       /* monotonic seconds */
	int ready;               /* connected, tunnelled, TLS done */
	int tunnelling;          /* CONNECT sent, its answer not read */
	int tunnelled;           /* through the proxy's tunnel */
	int closed;              /* the upstream closed it (EOF seen) */
	struct http_parser tunnel;
	SSL *ssl; /* owned by bev */
};

/* Its large members last: only what comes before `fail` is zeroed when
 * it is made (upstream_start), the rest is written before it is read. */
struct upstream_xfer {
	struct orad_upstream *u;
	struct upstream_conn *c;
	struct upstream_callbacks cb;
	void *ctx;
	char *request; /* head and body, wiped when freed (the key) */
	size_t request_len;
	struct event *timer;
	struct timespec deadline;
	long connect_timeout_s;
	int head_request;
	int sent;      /* every byte of the request reached the connection */
	int answered;  /* a byte of the answer arrived */
	int reused;    /* on a kept-alive connection */
	int retried;   /* once on a new connection, after a stale one */
	int paused;
	int busy;      /* inside one of its callbacks */
	int cancelled; /* aborted while busy */
	int fail_code;
	SSL_CTX *tls; /* for an https target: held (SSL_CTX_up_ref) */
	char fail[256];
	char key[HOST_MAX * 3 + 96]; /* of the connections it may use */
	struct upstream_target t;
	struct upstream_headers h;
	struct http_parser p;
};

static void conn_free(struct upstream_conn *c);
static void xfer_go(struct upstream_xfer *x);
static int process_input(struct upstream_xfer *x);

/* ----- the environment's proxies (as libcurl 7.88 reads them) ----- */

static char *
env_dup(const char *name)
{
	const char *v = getenv(name);

	return v != NULL ? ora_xstrdup(v) : NULL;
}

static void
proxy_env_read(struct upstream_proxy_env *e)
{
	e->http = env_dup("http_proxy");
	if ((e->https = env_dup("https_proxy")) == NULL)
		e->https = env_dup("HTTPS_PROXY");
	if ((e->all = env_dup("all_proxy")) == NULL)
		e->all = env_dup("ALL_PROXY");
	if ((e->none = env_dup("no_proxy")) == NULL)
		e->none = env_dup("NO_PROXY");
}

static void
proxy_env_clear(struct upstream_proxy_env *e)
{
	free(e->http);
	free(e->https);
	free(e->all);
	free(e->none);
	memset(e, 0, sizeof(*e));
}

/* Whether no_proxy names host: "*", the host, or a domain it is in. */
static int
no_proxy_for(const char *list, const char *host)
{
	size_t hl = strlen(host);

	if (list == NULL)
		return 0;
	while (*list != '\0') {
		size_t n;

		list += strspn(list, ", \t");
		n = strcspn(list, ", \t");
		if (n == 1 && list[0] == '*')
			return 1;
		if (n > 0) {
			const char *name = list;
			size_t len = n;

			if (name[0] == '.') {
				name++;
				len--;
			}
			if (len > 0 && len <= hl && strncasecmp(host + hl - len, name, len) == 0 &&
			    (len == hl || host[hl - len - 1] == '.'))
				return 1;
		}
		list += n;
	}
	return 0;
}

/* "scheme://host[:port]..." into host and port; 0, or -1 if it is not. */
static int
split_authority(const char *text, int *tls, char *host, int *port, int default_port,
    const char **rest)
{
	const char *p, *end;
	size_t n;

	if (strncasecmp(text, "https://", 8) == 0) {
		*tls = 1;
		p = text + 8;
	} else if (strncasecmp(text, "http://", 7) == 0) {
		*tls = 0;
		p = text + 7;
	} else {
		return -1;
	}
	if ((end = strchr(p, '@')) != NULL && end < p + strcspn(p, "/?#"))
		p = end + 1; /* user:password@, taken by proxy_credentials */
	*port = default_port != 0 ? default_port : *tls ? 443 : 80;
	if (*p == '[') {
		if ((end = strchr(p, ']')) == NULL)
			return -1;
		n = (size_t)(end - p - 1);
		p++;
		end++;
	} else {
		end = p + strcspn(p, ":/?#");
		n = (size_t)(end - p);
	}
	if (n == 0 || n >= HOST_MAX)
		return -1;
	memcpy(host, p, n);
	host[n] = '\0';
	if (*end == ':') {
		char *after;
		long v = strtol(end + 1, &after, 10);

		if (v <= 0 || v > 65535)
			return -1;
		*port = (int)v;
		end = after;
	}
	*rest = end;
	return 0;
}

/* A proxy URL's user:password@ as a Proxy-Authorization line (Basic, the
 * parts percent-decoded, as libcurl does), or "" when it has none. */
static int
proxy_credentials(const char *proxy, char *out, size_t size)
{
	static const char prefix[] = "Proxy-Authorization: Basic ";
	const char *p = strstr(proxy, "://") + 3, *at = strchr(p, '@');
	unsigned char plain[HOST_MAX];
	size_t len = 0, at_most;

	out[0] = '\0';
	if (at == NULL || at > p + strcspn(p, "/?#"))
		return 0;
	for (; p < at && len < sizeof(plain); p++) {
		unsigned v;

		if (*p == '%' && at - p > 2 && sscanf(p + 1, "%2x", &v) == 1) {
			plain[len++] = (unsigned char)v;
			p += 2;
		} else {
			plain[len++] = (unsigned char)*p;
		}
	}
	at_most = sizeof(prefix) - 1 + sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL) + 2;
	if (p < at || at_most > size) {
		sodium_memzero(plain, sizeof(plain));
		return -1;
	}
	memcpy(out, prefix, sizeof(prefix) - 1);
	sodium_bin2base64(out + sizeof(prefix) - 1, size - (sizeof(prefix) - 1), plain, len,
	    sodium_base64_VARIANT_ORIGINAL);
	strcat(out, "\r\n");
	sodium_memzero(plain, sizeof(plain));
	return 0;
}

/* Where url goes, through which proxy; -1 with why said when it cannot. */
static int
target_for(const struct orad_upstream *u, const char *url, struct upstream_target *t, char *why,
    size_t size)
{
	const char *proxy, *rest;
	char with_scheme[HOST_MAX * 2];
	int proxy_tls;

	memset(t, 0, sizeof(*t));
	if (split_authority(url, &t->tls, t->host, &t->port, 0, &rest) != 0) {
		snprintf(why, size, "the upstream URL %.200s is not an http:// or https:// URL orad reads",
		    url);
		return -1;
	}
	t->path = *rest == '/' ? rest : "/";
	proxy = t->tls ? u->env.https : u->env.http;
	if (proxy == NULL)
		proxy = u->env.all;
	if (proxy == NULL || *proxy == '\0' || no_proxy_for(u->env.none, t->host))
		return 0;
	if (strstr(proxy, "://") == NULL) {
		snprintf(with_scheme, sizeof(with_scheme), "http://%s", proxy);
		proxy = with_scheme;
	}
	/* 1080 when the proxy names no port, as libcurl has it. */
	if (split_authority(proxy, &proxy_tls, t->proxy_host, &t->proxy_port, 1080, &rest) != 0 ||
	    proxy_credentials(proxy, t->proxy_auth, sizeof(t->proxy_auth)) != 0) {
		snprintf(why, size, "the proxy the environment names cannot be read; write it as "
		                    "http://[user:password@]host:port");
		return -1;
	}
	if (proxy_tls) {
		snprintf(why, size, "the proxy the environment names is https://, which orad does not "
		                    "speak; name it http:// (an https upstream is tunnelled through it)");
		return -1;
	}
	return 0;
}

/* ----- TLS ----- */

static SSL_CTX *
tls_context(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return ctx;
}

/* The context for these authorities (NULL: the system's), made once. */
static SSL_CTX *
tls_for(struct orad_upstream *u, const unsigned char *pem, size_t len)
{
	unsigned char hash[crypto_generichash_BYTES];
	X509_STORE *store;
	BIO *bio;
	X509 *cert;
	int n = 0;

	if (pem == NULL) {
		if (u->tls.system == NULL && (u->tls.system = tls_context()) != NULL)
			SSL_CTX_set_default_verify_paths(u->tls.system);
		return u->tls.system;
	}
	crypto_generichash(hash, sizeof(hash), pem, len, NULL, 0);
	if (u->tls.custom != NULL && memcmp(hash, u->tls.custom_hash, sizeof(hash)) == 0)
		return u->tls.custom;
	SSL_CTX_free(u->tls.custom);
	if ((u->tls.custom = tls_context()) == NULL)
		return NULL;
	memcpy(u->tls.custom_hash, hash, sizeof(hash));
	store = SSL_CTX_get_cert_store(u->tls.custom);
	if ((bio = BIO_new_mem_buf(pem, (int)len)) != NULL) {
		while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
			n += X509_STORE_add_cert(store, cert) == 1;
			X509_free(cert);
		}
		BIO_free(bio);
	}
	ERR_clear_error(); /* the end of the file reads as an error */
	if (n == 0) {
		SSL_CTX_free(u->tls.custom);
		u->tls.custom = NULL;
	}
	return u->tls.custom;
}

/* An SSL for host: its name (or address) verified, SNI for a name,
 * HTTP/1.1 by ALPN. */
static SSL *
tls_new(SSL_CTX *ctx, const char *host)
{
	struct in6_addr a6;
	struct in_addr a4;
	SSL *ssl = SSL_new(ctx);
	int is_ip = inet_pton(AF_INET, host, &a4) == 1 || inet_pton(AF_INET6, host, &a6) == 1;
	static const unsigned char alpn[] = "\x08http/1.1";

	if (ssl == NULL)
		return NULL;
	if (is_ip)
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
	else {
		SSL_set_tlsext_host_name(ssl, host);
		/* Wildcards only as a whole left-most label, as libcurl had it. */
		SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		SSL_set1_host(ssl, host);
	}
	SSL_set_alpn_protos(ssl, alpn, sizeof(alpn) - 1);
	return ssl;
}

/* What went wrong on a connection, in words. */
static void
conn_error(struct upstream_conn *c, short what, char *out, size_t size, int *code)
{
	unsigned long e;
	long v;
	int dns = c->bev != NULL ? bufferevent_socket_get_dns_error(c->bev) : 0;

	if (dns != 0) {
		snprintf(out, size, "cannot resolve %s: %s", c->host, evutil_gai_strerror(dns));
		*code = CODE_CONNECT;
	} else if (c->ssl != NULL && (v = SSL_get_verify_result(c->ssl)) != X509_V_OK) {
		snprintf(out, size, "TLS: the upstream's certificate was not trusted: %s",
		    X509_verify_cert_error_string(v));
		*code = CODE_TLS;
	} else if (c->bev != NULL && (e = bufferevent_get_openssl_error(c->bev)) != 0) {
		char buf[160];

		ERR_error_string_n(e, buf, sizeof(buf));
		snprintf(out, size, "TLS: %s", buf);
		*code = CODE_TLS;
	} else if ((what & BEV_EVENT_ERROR) && EVUTIL_SOCKET_ERROR() != 0) {
		snprintf(out, size, "%s", evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		*code = c->ready ? CODE_RECV : CODE_CONNECT;
	} else {
		snprintf(out, size, "the connection closed");
		*code = c->ready ? CODE_RECV : CODE_CONNECT;
	}
}

/* ----- transfers ----- */

static time_t
monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void
now_plus(struct timespec *ts, long s)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += s;
}

static void
arm(struct upstream_xfer *x, long s)
{
	struct timeval tv = {s, 0};

	evtimer_add(x->timer, &tv);
}

/* The time left before the transfer's deadline, at least 0. */
static void
arm_deadline(struct upstream_xfer *x)
{
	struct timespec now;
	struct timeval tv = {0, 0};
	long long left_us;

	clock_gettime(CLOCK_MONOTONIC, &now);
	left_us = (long long)(x->deadline.tv_sec - now.tv_sec) * 1000000 +
	    (x->deadline.tv_nsec - now.tv_nsec) / 1000;
	if (left_us > 0) {
		tv.tv_sec = (time_t)(left_us / 1000000);
		tv.tv_usec = (suseconds_t)(left_us % 1000000);
	}
	evtimer_add(x->timer, &tv);
}

static void
xfer_destroy(struct upstream_xfer *x)
{
	if (x->timer != NULL)
		event_free(x->timer);
	SSL_CTX_free(x->tls);
	http_parser_free(&x->p);
	if (x->request != NULL) {
		sodium_memzero(x->request, x->request_len);
		free(x->request);
	}
	free(x);
}

/* Give the connection back (kept) or close it; the transfer lets go. */
static void
release_conn(struct upstream_xfer *x, int keep)
{
	struct upstream_conn *c = x->c;
	struct orad_upstream *u = x->u;

	if (c == NULL)
		return;
	x->c = NULL;
	c->x = NULL;
	if (!keep || !c->ready || u->n_idle >= UPSTREAM_IDLE_MAX) {
		conn_free(c);
		return;
	}
	/* Idle: readable again only if the upstream closes it. */
	bufferevent_enable(c->bev, EV_READ);
	c->idle_since = monotonic_s();
	c->next = u->idle;
	u->idle = c;
	u->n_idle++;
}

/* The transfer ends: the callee frees it (upstream_xfer_free). */
static void
finish(struct upstream_xfer *x, int code, const char *message, int keep)
{
	/* The callee frees x, and message may lie in it: hand it a copy. */
	char copy[320];

	snprintf(copy, sizeof(copy), "%s", message);
	evtimer_del(x->timer);
	release_conn(x, code == CODE_OK && keep);
	x->u->active--;
	x->cb.on_done(x->ctx, code, copy, x->sent || x->answered);
}

static void
fail(struct upstream_xfer *x, int code, const char *message)
{
	/* A kept-alive connection the upstream had closed before it read the
	 * request: nothing was acted on, so once more on a new one, as
	 * libcurl does. */
	if (x->reused && !x->answered && !x->retried && code != CODE_TIMEOUT) {
		x->retried = 1;
		x->reused = 0;
		x->sent = 0;
		release_conn(x, 0);
		xfer_go(x);
		return;
	}
	finish(x, code, message, 0);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct upstream_xfer *x = arg;

	(void)fd;
	(void)what;
	if (x->fail_code != 0) {
		int code = x->fail_code;

		x->fail_code = 0;
		finish(x, code, x->fail, 0);
		return;
	}
	if (x->c == NULL || !x->c->ready)
		finish(x, CODE_TIMEOUT, "timed out connecting to the upstream", 0);
	else
		finish(x, CODE_TIMEOUT, "timed out", 0);
}

/* Fail from the loop, not from inside upstream_start. */
static void
fail_later(struct upstream_xfer *x, int code, const char *message)
{
	struct timeval zero = {0, 0};

	x->fail_code = code;
	snprintf(x->fail, sizeof(x->fail), "%s", message);
	evtimer_add(x->timer, &zero);
}

static void
copy_value(char *dst, size_t size, const char *v)
{
	size_t n = v != NULL ? strlen(v) : 0;

	if (n >= size)
		n = size - 1;
	memcpy(dst, v != NULL ? v : "", n);
	dst[n] = '\0';
}

/* The answer's head into x->h: one pass over its fields, a name compared
 * only with the wanted ones of its length. */
static void
take_headers(struct upstream_xfer *x)
{
	const struct orad_upstream_api *api = upstream_api();
	const struct http_parser *p = &x->p;
	const struct {
		const char *name;
		char *dst;
		size_t size;
	} want[] = {
		{"Content-Type", x->h.content_type, sizeof(x->h.content_type)},
		{"Retry-After", x->h.retry_after, sizeof(x->h.retry_after)},
		{api->generation_id_header, x->h.generation_id, sizeof(x->h.generation_id)},
		{api->ratelimit_limit_header, x->h.ratelimit_limit, sizeof(x->h.ratelimit_limit)},
		{api->ratelimit_remaining_header, x->h.ratelimit_remaining,
		    sizeof(x->h.ratelimit_remaining)},
		{api->ratelimit_reset_header, x->h.ratelimit_reset, sizeof(x->h.ratelimit_reset)},
	};
	size_t lens[sizeof(want) / sizeof(want[0])];

	memset(&x->h, 0, sizeof(x->h));
	x->h.status = p->code;
	for (size_t w = 0; w < sizeof(want) / sizeof(want[0]); w++)
		lens[w] = strlen(want[w].name);
	for (size_t i = 0; i < p->n_headers; i++) {
		size_t n = strlen(p->headers[i].name);

		for (size_t w = 0; w < sizeof(want) / sizeof(want[0]); w++)
			if (n == lens[w] && want[w].dst[0] == '\0' &&
			    strcasecmp(p->headers[i].name, want[w].name) == 0) {
				copy_value(want[w].dst, want[w].size, p->headers[i].value);
				break;
			}
	}
}

/* Whether x was aborted from one of its callbacks: then it is freed here. */
static int
after_callback(struct upstream_xfer *x)
{
	if (--x->busy > 0 || !x->cancelled)
		return 0;
	xfer_destroy(x);
	return 1;
}

/* Feed what arrived to the parser, and its results to the callbacks.
 * 1 while x goes on, on its connection; 0 once it ended (it may be freed). */
static int
process_input(struct upstream_xfer *x)
{
	struct evbuffer *in;

	while (x->c != NULL && !x->paused) {
		struct evbuffer_iovec v;
		enum http_parse_result r;
		size_t used = 0;

		in = bufferevent_get_input(x->c->bev);
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			v.iov_len = 0;
		if (v.iov_len > 0)
			x->answered = 1;
		r = http_parse(&x->p, v.iov_base, v.iov_len, &used);
		/* A body span points into the buffer: drained after its callback. */
		if (r != HTTP_PARSE_BODY)
			evbuffer_drain(in, used);
		switch (r) {
		case HTTP_PARSE_MORE:
			if (v.iov_len == 0 || evbuffer_get_length(in) == 0)
				return 1;
			continue;
		case HTTP_PARSE_HEAD:
			take_headers(x);
			x->sent = 1; /* an answer began: it has the request */
			x->busy++;
			x->cb.on_headers(x->ctx, &x->h);
			if (after_callback(x) || x->cancelled)
				return 0;
			continue;
		case HTTP_PARSE_BODY:
			x->busy++;
			x->cb.on_data(x->ctx, x->p.span, x->p.span_len);
			if (after_callback(x) || x->cancelled)
				return 0; /* its connection went with it */
			evbuffer_drain(in, used);
			continue;
		case HTTP_PARSE_DONE:
			finish(x, CODE_OK, "", x->p.keep_alive);
			return 0;
		case HTTP_PARSE_ERROR: {
			char message[320];

			snprintf(message, sizeof(message), "the upstream's answer cannot be read: %s",
			    x->p.message);
			finish(x, CODE_PROTOCOL, message, 0);
			return 0;
		}
		}
	}
	return x->c != NULL;
}

static void
send_request(struct upstream_xfer *x)
{
	struct upstream_conn *c = x->c;
	size_t done = 0;

	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	bufferevent_enable(c->bev, EV_READ);
	if (c->ssl == NULL && evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		/* Straight to the socket, which nearly always takes all of it:
		 * through the bufferevent, each request cost a write event
		 * turned on and off (two epoll_ctl). */
		ssize_t n = send(bufferevent_getfd(c->bev), x->request, x->request_len,
		    MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			char m[160];

			snprintf(m, sizeof(m), "cannot send the request: %s", strerror(errno));
			fail(x, CODE_SEND, m);
			return;
		}
		done = n > 0 ? (size_t)n : 0;
		if (done == x->request_len) {
			x->sent = 1;
			return;
		}
	}
	bufferevent_enable(c->bev, EV_WRITE);
	if (bufferevent_write(c->bev, x->request + done, x->request_len - done) != 0)
		fail(x, CODE_SEND, "cannot write the request");
}

/* ----- connections ----- */

static void
conn_free(struct upstream_conn *c)
{
	if (c == NULL)
		return;
	if (c->bev != NULL)
		bufferevent_free(c->bev); /* closes the socket; frees the SSL */
	http_parser_free(&c->tunnel);
	free(c);
}

static void
drop_idle(struct upstream_conn *c)
{
	struct orad_upstream *u = c->u;

	for (struct upstream_conn **pp = &u->idle; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			u->n_idle--;
			break;
		}
	conn_free(c);
}

static void
conn_ready(struct upstream_conn *c)
{
	struct upstream_xfer *x = c->x;
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	int one = 1;

	/* As libcurl set them: no Nagle delay for a request written in one
	 * go, and keep-alive probes for a stream that is quiet a long time. */
	if (fd >= 0) {
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	}
	c->ready = 1;
	if (x == NULL)
		return;
	arm_deadline(x);
	send_request(x);
}

/* TLS over the tunnel (or over the socket it was opened with). */
static int
start_tls_filter(struct upstream_conn *c, SSL_CTX *ctx, const char *host);

static void
on_conn_read(struct bufferevent *bev, void *arg)
{
	struct upstream_conn *c = arg;

	(void)bev;
	if (c->x == NULL) {
		/* Idle: the upstream closed it, or sent what nobody asked for. */
		drop_idle(c);
		return;
	}
	if (c->tunnelling) {
		struct upstream_xfer *x = c->x;
		struct evbuffer *in = bufferevent_get_input(c->bev);
		struct evbuffer_iovec v;
		size_t used = 0;
		enum http_parse_result r = HTTP_PARSE_MORE;

		while (r == HTTP_PARSE_MORE && evbuffer_peek(in, -1, NULL, &v, 1) >= 1 && v.iov_len > 0) {
			r = http_parse(&c->tunnel, v.iov_base, v.iov_len, &used);
			evbuffer_drain(in, used);
		}
		if (r == HTTP_PARSE_HEAD || r == HTTP_PARSE_DONE) {
			if (c->tunnel.code / 100 != 2) {
				char m[128];

				snprintf(m, sizeof(m), "the proxy refused the tunnel: HTTP %d", c->tunnel.code);
				fail(x, CODE_CONNECT, m);
				return;
			}
			c->tunnelling = 0;
			c->tunnelled = 1;
			if (x->t.tls) {
				if (start_tls_filter(c, x->tls, x->t.host) != 0)
					fail(x, CODE_TLS, "cannot start TLS through the proxy");
				return;
			}
			conn_ready(c);
		} else if (r == HTTP_PARSE_ERROR) {
			fail(x, CODE_CONNECT, "the proxy's answer to CONNECT cannot be read");
		}
		return;
	}
	process_input(c->x);
}

static void
on_conn_write(struct bufferevent *bev, void *arg)
{
	struct upstream_conn *c = arg;

	(void)bev;
	/* The output is empty: the request went to the kernel (or to TLS). */
	if (c->x != NULL && c->ready)
		c->x->sent = 1;
}

/* The upstream closed x's connection: whatever is still buffered first,
 * then the close itself; while x is paused, both wait for its resumption. */
static void
closed_by_upstream(struct upstream_xfer *x)
{
	if (x->paused || !process_input(x) || x->paused)
		return;
	if (http_parse_eof(&x->p) == HTTP_PARSE_DONE) {
		finish(x, CODE_OK, "", 0);
		return;
	}
	fail(x, x->answered ? CODE_RECV : CODE_NOTHING,
	    x->answered ? x->p.message : "the upstream closed the connection without answering");
}

static void
on_conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct upstream_conn *c = arg;
	struct upstream_xfer *x = c->x;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		if (x != NULL && x->t.proxy_port != 0 && x->t.tls && !c->tunnelled) {
			char connect[5 * HOST_MAX + 96];
			const char *l = strchr(x->t.host, ':') != NULL ? "[" : "";
			const char *r = *l != '\0' ? "]" : "";
			int n = snprintf(connect, sizeof(connect),
			    "CONNECT %s%s%s:%d HTTP/1.1\r\nHost: %s%s%s:%d\r\n%s\r\n", l, x->t.host, r,
			    x->t.port, l, x->t.host, r, x->t.port, x->t.proxy_auth);

			c->tunnelling = 1;
			http_parser_init_response(&c->tunnel, UPSTREAM_HEAD_MAX, 1);
			bufferevent_enable(c->bev, EV_READ | EV_WRITE);
			bufferevent_write(c->bev, connect, (size_t)n);
			return;
		}
		conn_ready(c);
		return;
	}
	if (x == NULL) {
		drop_idle(c);
		return;
	}
	if (what & BEV_EVENT_EOF && c->ready && !c->tunnelling) {
		c->closed = 1;
		closed_by_upstream(x);
		return;
	}
	{
		char message[320];
		int code;

		conn_error(c, what, message, sizeof(message), &code);
		fail(x, code, message);
	}
}

static int
start_tls_filter(struct upstream_conn *c, SSL_CTX *ctx, const char *host)
{
	struct bufferevent *tls;

	if (ctx == NULL || (c->ssl = tls_new(ctx, host)) == NULL)
		return -1;
	tls = bufferevent_openssl_filter_new(bufferevent_get_base(c->bev), c->bev, c->ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (tls == NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
		return -1;
	}
	c->bev = tls;
	bufferevent_setcb(c->bev, on_conn_read, on_conn_write, on_conn_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	return 0;
}

/* A new connection for x's target, connecting. */
static struct upstream_conn *
conn_open(struct upstream_xfer *x)
{
	struct orad_upstream *u = x->u;
	struct upstream_conn *c = ora_xcalloc(1, sizeof(*c));
	const char *host = x->t.proxy_port != 0 ? x->t.proxy_host : x->t.host;
	int port = x->t.proxy_port != 0 ? x->t.proxy_port : x->t.port;

	c->u = u;
	snprintf(c->key, sizeof(c->key), "%s", x->key);
	snprintf(c->host, sizeof(c->host), "%s", host);
	if (x->t.tls && x->t.proxy_port == 0) {
		if (x->tls == NULL || (c->ssl = tls_new(x->tls, x->t.host)) == NULL) {
			free(c);
			return NULL;
		}
		c->bev = bufferevent_openssl_socket_new(u->base, -1, c->ssl, BUFFEREVENT_SSL_CONNECTING,
		    BEV_OPT_CLOSE_ON_FREE);
	} else {
		c->bev = bufferevent_socket_new(u->base, -1, BEV_OPT_CLOSE_ON_FREE);
	}
	if (c->bev == NULL) {
		if (c->ssl != NULL)
			SSL_free(c->ssl);
		free(c);
		return NULL;
	}
	if (c->ssl != NULL)
		bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	bufferevent_setcb(c->bev, on_conn_read, on_conn_write, on_conn_event, c);
	c->x = x;
	x->c = c;
	u->connections_opened++;
	if (u->dns == NULL)
		u->dns = evdns_base_new(u->base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
	/* It fails at once only for a port outside 1-65535, which
	 * split_authority refused already; a failed lookup or connect comes
	 * back through on_conn_event. */
	(void)bufferevent_socket_connect_hostname(c->bev, u->dns, AF_UNSPEC, host, port);
	return c;
}

/* Where x goes now: a kept-alive connection to its origin, or a new one. */
static void
xfer_go(struct upstream_xfer *x)
{
	struct orad_upstream *u = x->u;

	for (struct upstream_conn **pp = &u->idle; *pp != NULL; pp = &(*pp)->next) {
		struct upstream_conn *c = *pp;

		if (strcmp(c->key, x->key) != 0)
			continue;
		*pp = c->next;
		u->n_idle--;
		c->next = NULL;
		if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0 ||
		    monotonic_s() - c->idle_since > UPSTREAM_IDLE_MAX_S) {
			/* It said something unasked, or it idled so long that a
			 * middlebox may have forgotten it without a word. */
			conn_free(c);
			break;
		}
		c->x = x;
		x->c = c;
		x->reused = 1;
		arm_deadline(x);
		send_request(x);
		return;
	}
	if (conn_open(x) == NULL) {
		fail_later(x, CODE_CONNECT, "cannot open a connection to the upstream");
		return;
	}
	arm(x, x->connect_timeout_s > 0 ? x->connect_timeout_s : 300);
}

/* Decimal digits of v at p; returns the end. */
static char *
put_uint(char *p, unsigned long long v)
{
	char digits[24];
	size_t n = 0;

	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	while (n > 0)
		*p++ = digits[--n];
	return p;
}

/* The key of the connections x may use, after what x->key already holds
 * (its authorities): scheme, host, port, proxy. Written by hand: with
 * snprintf it was the largest part of setting a transfer up. */
static void
route_key(struct upstream_xfer *x)
{
	char *p = x->key + strlen(x->key);
	size_t host = strlen(x->t.host), proxy = strlen(x->t.proxy_host);

	memcpy(p, x->t.tls ? "https://" : "http://", x->t.tls ? 8 : 7);
	p += x->t.tls ? 8 : 7;
	memcpy(p, x->t.host, host);
	p += host;
	*p++ = ':';
	p = put_uint(p, (unsigned)x->t.port);
	*p++ = '|';
	memcpy(p, x->t.proxy_host, proxy);
	p += proxy;
	*p++ = ':';
	p = put_uint(p, (unsigned)x->t.proxy_port);
	*p = '\0';
}

/* The request's bytes: the head written here, then the body. */
static void
build_request(struct upstream_xfer *x, const struct upstream_request *r)
{
	size_t cap = 128 + strlen(r->method) + strlen(x->t.path) + strlen(x->t.host) + r->body_len;
	char *p;
	int absolute = x->t.proxy_port != 0 && !x->t.tls, has_accept = 0;

	for (size_t i = 0; i < r->n_headers; i++) {
		cap += strlen(r->headers[i]) + 2;
		has_accept |= strncasecmp(r->headers[i], "Accept:", 7) == 0;
	}
	if (absolute)
		cap += strlen(r->url) + sizeof(x->t.proxy_auth);
	x->request = p = ora_xmalloc(cap);
#define PUT(s, n) (memcpy(p, (s), (n)), p += (n))
#define PUTS(s) PUT((s), strlen(s))
	PUTS(r->method);
	PUT(" ", 1);
	PUTS(absolute ? r->url : x->t.path);
	PUTS(" HTTP/1.1\r\nHost: ");
	if (strchr(x->t.host, ':') != NULL) /* an IPv6 address */
		p += sprintf(p, "[%s]", x->t.host);
	else
		PUTS(x->t.host);
	if (x->t.port != (x->t.tls ? 443 : 80)) {
		*p++ = ':';
		p = put_uint(p, (unsigned)x->t.port);
	}
	PUT("\r\n", 2);
	if (!has_accept)
		PUTS("Accept: */*\r\n"); /* what libcurl sent: a custom one replaces it */
	if (absolute)
		PUTS(x->t.proxy_auth);
	for (size_t i = 0; i < r->n_headers; i++) {
		PUTS(r->headers[i]);
		PUT("\r\n", 2);
	}
	if (strcmp(r->method, "POST") == 0) {
		PUTS("Content-Length: ");
		p = put_uint(p, r->body_len);
		PUT("\r\n", 2);
	}
	PUT("\r\n", 2);
	if (r->body != NULL && r->body_len > 0)
		PUT(r->body, r->body_len);
#undef PUTS
#undef PUT
	x->request_len = (size_t)(p - x->request);
}

struct upstream_xfer *
upstream_start(struct orad_upstream *u, const struct upstream_request *r,
    const struct upstream_callbacks *cb, void *ctx, struct ora_error *err)
{
	struct upstream_xfer *x = ora_xmalloc(sizeof(*x));
	char why[320];

	memset(x, 0, offsetof(struct upstream_xfer, fail));
	x->fail[0] = x->key[0] = '\0';
	memset(&x->h, 0, sizeof(x->h));

	if (target_for(u, r->url, &x->t, why, sizeof(why)) != 0) {
		free(x);
		ora_error_set(err, "%s", why);
		return NULL;
	}
	x->u = u;
	x->cb = *cb;
	x->ctx = ctx;
	x->connect_timeout_s = r->connect_timeout_s;
	x->head_request = strcmp(r->method, "HEAD") == 0;
	if (x->t.tls) {
		/* The authorities are the caller's bytes, read now: a retry
		 * later uses the context made from them. */
		unsigned char hash[8] = {0};

		if (r->ca_pem != NULL)
			crypto_generichash(hash, sizeof(hash), (const unsigned char *)r->ca_pem,
			    r->ca_pem_len, NULL, 0);
		if ((x->tls = tls_for(u, (const unsigned char *)r->ca_pem, r->ca_pem_len)) == NULL) {
			free(x);
			ora_error_set(err, "cannot set up TLS for the upstream%s",
			    r->ca_pem != NULL ? ": upstream.ca_file holds no certificate OpenSSL reads" : "");
			return NULL;
		}
		SSL_CTX_up_ref(x->tls);
		sodium_bin2hex(x->key, 17, hash, sizeof(hash));
		x->key[16] = '|';
		x->key[17] = '\0';
	}
	route_key(x);
	http_parser_init_response(&x->p, UPSTREAM_HEAD_MAX, x->head_request);
	build_request(x, r);
	x->t.path = NULL; /* it pointed into the caller's URL */
	now_plus(&x->deadline, r->total_timeout_s > 0 ? r->total_timeout_s : 86400);
	x->timer = evtimer_new(u->base, on_timer, x);
	u->active++;
	xfer_go(x);
	return x;
}

int
upstream_xfer_request_sent(const struct upstream_xfer *x)
{
	return x != NULL && (x->sent || x->answered);
}

void
upstream_xfer_abort(struct upstream_xfer *x)
{
	if (x == NULL)
		return;
	evtimer_del(x->timer);
	release_conn(x, 0);
	x->u->active--;
	if (x->busy > 0) {
		x->cancelled = 1;
		return;
	}
	xfer_destroy(x);
}

void
upstream_xfer_pause(struct upstream_xfer *x, int paused)
{
	if (x == NULL || x->c == NULL)
		return;
	x->paused = paused;
	if (paused) {
		bufferevent_disable(x->c->bev, EV_READ);
		return;
	}
	bufferevent_enable(x->c->bev, EV_READ);
	/* From inside one of x's callbacks, the loop that called it reads on
	 * once it returns; from outside, what arrived meanwhile is read now. */
	if (x->busy > 0)
		return;
	if (x->c->closed)
		closed_by_upstream(x);
	else
		process_input(x);
}

void
upstream_xfer_free(struct upstream_xfer *x)
{
	if (x == NULL)
		return;
	if (x->busy > 0) {
		x->cancelled = 1;
		return;
	}
	xfer_destroy(x);
}

/* ----- the upstream ----- */

struct orad_upstream *
upstream_new(struct event_base *base, struct ora_error *err)
{
	struct orad_upstream *u = ora_xcalloc(1, sizeof(*u));

	(void)err;
	u->base = base;
	proxy_env_read(&u->env);
	return u;
}

void
upstream_free(struct orad_upstream *u)
{
	if (u == NULL)
		return;
	while (u->idle != NULL) {
		struct upstream_conn *c = u->idle;

		u->idle = c->next;
		conn_free(c);
	}
	if (u->dns != NULL)
		evdns_base_free(u->dns, 0);
	SSL_CTX_free(u->tls.system);
	SSL_CTX_free(u->tls.custom);
	proxy_env_clear(&u->env);
	free(u);
}

size_t
upstream_active(const struct orad_upstream *u)
{
	return u->active;
}

long
upstream_connections_opened(const struct orad_upstream *u)
{
	return u->connections_opened;
}
