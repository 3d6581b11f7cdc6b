/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "orad/upstream.h"
#include "orad/upstream_api.h"

#define UPSTREAM_SPARE_HANDLES 64
/* URLs kept parsed: the three wires' endpoints and /models, with room. */
#define UPSTREAM_URL_HANDLES 8

/* A URL libcurl parsed once (CURLOPT_CURLU), shared by every transfer to
 * it: libcurl only reads the handle, and a URL set as text was parsed and
 * written back again by each transfer (issue 17: ~16,000 instructions).
 * Counted: the cache holds one reference, each transfer using it one. */
struct upstream_url {
	char *text;
	char *normalized; /* as libcurl writes the handle's URL back (curl_free) */
	CURLU *h;
	const char *proxy; /* the environment's proxy for its scheme, or "" */
	size_t refs;
};

/* The proxy variables, read once when orad starts (its environment does
 * not change after): libcurl looked them up for every transfer. */
struct upstream_proxy_env {
	char *http, *https, *all, *none; /* NULL: not set */
};

struct orad_upstream {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	size_t active;
	long connections_opened;
	int in_curl; /* depth of curl_multi_socket_action on the stack */
	int in_timer; /* on_timer is running */
	/* Easy handles of finished transfers, reset, for the next ones: a
	 * new handle costs allocations and set-up on every request. */
	CURL *spare[UPSTREAM_SPARE_HANDLES];
	size_t n_spare;
	struct upstream_url *urls[UPSTREAM_URL_HANDLES];
	size_t next_url; /* the slot a new URL takes when all are used */
	struct upstream_proxy_env env;
	/* The sockets libcurl asked us to watch, by descriptor. */
	struct upstream_sock **socks;
	size_t n_socks;
};

struct upstream_xfer {
	struct orad_upstream *u;
	CURL *easy;
	struct upstream_url *url;
	/* The request's header lines, copied after this struct with their
	 * list nodes in one allocation: libcurl only reads the list. */
	struct curl_slist *headers;
	size_t headers_size; /* bytes after the struct, wiped when freed */
	struct upstream_callbacks cb;
	void *ctx;
	struct upstream_headers h;
	int headers_done;
	int cancelled; /* aborted from inside a curl callback: free when curl lets go */
	curl_off_t body_len; /* of the request, to tell when all of it was sent */
	char errbuf[CURL_ERROR_SIZE];
};

/* One per socket curl asks us to watch. A connection's socket (opened
 * by curl_open_socket_cb) keeps its registration while the connection
 * idles in libcurl's pool between transfers, until libcurl closes it
 * (curl_close_socket_cb): libcurl says CURL_POLL_REMOVE at the end of
 * every transfer and CURL_POLL_IN at the next, two epoll_ctl per request
 * (issue 17). Any other socket (the resolver's) is dropped at REMOVE, as
 * libcurl may close it without telling, and a socket that reused its
 * number would then be taken for it and never watched. */
struct upstream_sock {
	struct event *ev;
	short events;   /* what ev watches now; 0: not added */
	int connection; /* opened by curl_open_socket_cb, closed by curl_close_socket_cb */
	int wanted;     /* libcurl watches it: between POLL_IN/OUT and REMOVE */
};

static void check_done(struct orad_upstream *u);

static CURL *
take_handle(struct orad_upstream *u)
{
	return u->n_spare > 0 ? u->spare[--u->n_spare] : curl_easy_init();
}

static void
give_back_handle(struct orad_upstream *u, CURL *easy)
{
	if (u->n_spare == UPSTREAM_SPARE_HANDLES) {
		curl_easy_cleanup(easy);
		return;
	}
	curl_easy_reset(easy);
	u->spare[u->n_spare++] = easy;
}

static void
socket_action(struct orad_upstream *u, curl_socket_t fd, int flags)
{
	int running;

	u->in_curl++;
	curl_multi_socket_action(u->multi, fd, flags, &running);
	u->in_curl--;
	check_done(u);
}

static struct upstream_sock *
sock_get(const struct orad_upstream *u, curl_socket_t fd)
{
	return fd >= 0 && (size_t)fd < u->n_socks ? u->socks[fd] : NULL;
}

static struct upstream_sock *
sock_new(struct orad_upstream *u, curl_socket_t fd)
{
	struct upstream_sock *s;

	if ((size_t)fd >= u->n_socks) {
		size_t n = u->n_socks > 0 ? u->n_socks : 64;

		while (n <= (size_t)fd)
			n *= 2;
		u->socks = ora_xrealloc(u->socks, n * sizeof(*u->socks));
		memset(u->socks + u->n_socks, 0, (n - u->n_socks) * sizeof(*u->socks));
		u->n_socks = n;
	}
	s = ora_xcalloc(1, sizeof(*s));
	u->socks[fd] = s;
	return s;
}

static void
sock_free(struct orad_upstream *u, curl_socket_t fd)
{
	struct upstream_sock *s = sock_get(u, fd);

	if (s == NULL)
		return;
	if (s->ev != NULL)
		event_free(s->ev);
	free(s);
	u->socks[fd] = NULL;
}

static void
on_socket_event(evutil_socket_t fd, short what, void *arg)
{
	struct orad_upstream *u = arg;
	struct upstream_sock *s = sock_get(u, fd);
	int flags = 0;

	if (s != NULL && !s->wanted) {
		/* An idle pooled connection became readable: the upstream closed
		 * it (or sent what no request asked for). No transfer owns it,
		 * and libcurl ignores a socket it does not watch, so stop
		 * watching it rather than wake for it again: libcurl's check of
		 * the connection before reusing it finds it dead and closes it. */
		event_del(s->ev);
		s->events = 0;
		return;
	}

	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	socket_action(u, fd, flags);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct orad_upstream *u = arg;

	u->in_timer = 1;
	socket_action(u, CURL_SOCKET_TIMEOUT, 0);
	u->in_timer = 0;
}

static int
curl_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct orad_upstream *u = userp;
	struct upstream_sock *s = sock_get(u, fd);
	short events = EV_PERSIST;

	(void)easy;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		if (s == NULL)
			return 0;
		if (!s->connection) {
			sock_free(u, fd);
			return 0;
		}
		/* Kept while the connection lives; reading only, so that an
		 * idle one wakes us once if the upstream closes it (above). */
		s->wanted = 0;
		if (s->events != 0 && s->events != (EV_READ | EV_PERSIST)) {
			event_del(s->ev);
			s->events = 0;
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		events |= EV_READ;
	if (what & CURL_POLL_OUT)
		events |= EV_WRITE;
	if (s == NULL)
		s = sock_new(u, fd);
	s->wanted = 1;
	if (s->events == events)
		return 0; /* unchanged: spare the epoll_ctl */
	if (s->ev == NULL) {
		s->ev = event_new(u->base, fd, events, on_socket_event, u);
	} else {
		if (s->events != 0)
			event_del(s->ev);
		event_assign(s->ev, u->base, fd, events, on_socket_event, u);
	}
	s->events = events;
	if (s->ev == NULL || event_add(s->ev, NULL) != 0) {
		s->events = 0;
		ora_log_error("upstream: cannot watch socket %d", (int)fd);
	}
	return 0;
}

/* Every connection's socket is opened here, to be known for one: its
 * registration may outlive the transfer (struct upstream_sock). */
static curl_socket_t
curl_open_socket_cb(void *clientp, curlsocktype purpose, struct curl_sockaddr *addr)
{
	struct orad_upstream *u = clientp;
	curl_socket_t fd;
	struct upstream_sock *s;

	(void)purpose;
	fd = socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
	if (fd < 0)
		return CURL_SOCKET_BAD;
	/* A registration left on this number was libcurl's other socket,
	 * closed without a REMOVE: not this one's. */
	sock_free(u, fd);
	s = sock_new(u, fd);
	s->connection = 1;
	return fd;
}

static int
curl_close_socket_cb(void *clientp, curl_socket_t fd)
{
	struct orad_upstream *u = clientp;

	/* Before the close, while the number is still this socket's. */
	sock_free(u, fd);
	return close(fd);
}

static int
curl_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct orad_upstream *u = userp;
	struct timeval tv;

	if (timeout_ms < 0) {
		evtimer_del(u->timer);
		return 0;
	}
	/* A zero timeout means "call me soon" (libcurl asks so for every new
	 * transfer): never from inside this callback, which libcurl forbids.
	 * A timer of 0 ms would cost a turn of the loop, an epoll_wait of its
	 * own, per request; made active, the timer runs in this turn, after
	 * the callback that is running now. Not when libcurl asks again from
	 * that very run: then the loop looks at the sockets first, so that a
	 * libcurl that keeps asking cannot starve them. */
	if (timeout_ms == 0 && !u->in_timer) {
		evtimer_del(u->timer);
		event_active(u->timer, EV_TIMEOUT, 0);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(u->timer, &tv);
	return 0;
}

static char *
env_dup(const char *name)
{
	const char *v = getenv(name);

	return v != NULL ? ora_xstrdup(v) : NULL;
}

/* What libcurl 7.88 reads (url.c, detect_proxy and create_conn): the
 * scheme's variable in lower case, then in upper case except for http
 * (HTTP_PROXY can come from a CGI request's Proxy: header), then
 * all_proxy and ALL_PROXY; no_proxy, then NO_PROXY. */
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

static const char *
proxy_for(const struct upstream_proxy_env *e, const char *scheme)
{
	const char *p = NULL;

	if (strcmp(scheme, "https") == 0)
		p = e->https;
	else if (strcmp(scheme, "http") == 0)
		p = e->http;
	if (p == NULL)
		p = e->all;
	return p != NULL ? p : "";
}

static void
url_release(struct upstream_url *url)
{
	if (url == NULL || --url->refs > 0)
		return;
	curl_url_cleanup(url->h);
	curl_free(url->normalized);
	free(url->text);
	free(url);
}

/* text parsed as libcurl parses CURLOPT_URL, or NULL when it refuses it
 * (then the transfer gives the text itself, and libcurl says why). */
static struct upstream_url *
url_parse(struct orad_upstream *u, const char *text)
{
	struct upstream_url *url;
	CURLU *h;
	char *scheme = NULL, *normalized = NULL;

	if ((h = curl_url()) == NULL)
		return NULL;
	if (curl_url_set(h, CURLUPART_URL, text, CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) !=
	        CURLUE_OK ||
	    curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_URL, &normalized, 0) != CURLUE_OK) {
		curl_free(scheme);
		curl_url_cleanup(h);
		return NULL;
	}
	url = ora_xcalloc(1, sizeof(*url));
	url->text = ora_xstrdup(text);
	url->normalized = normalized;
	url->h = h;
	url->proxy = proxy_for(&u->env, scheme);
	url->refs = 1;
	curl_free(scheme);
	return url;
}

/* The parsed URL for text, from the cache when it is there; one the
 * transfer holds a reference to. A URL with a query (a generation's) is
 * asked for once: it is parsed for its transfer alone. */
static struct upstream_url *
url_take(struct orad_upstream *u, const char *text)
{
	struct upstream_url *url;
	size_t slot;

	for (size_t i = 0; i < UPSTREAM_URL_HANDLES; i++)
		if (u->urls[i] != NULL && strcmp(u->urls[i]->text, text) == 0) {
			u->urls[i]->refs++;
			return u->urls[i];
		}
	if ((url = url_parse(u, text)) == NULL || strchr(text, '?') != NULL)
		return url;
	slot = u->next_url;
	u->next_url = (u->next_url + 1) % UPSTREAM_URL_HANDLES;
	url_release(u->urls[slot]);
	u->urls[slot] = url;
	url->refs++;
	return url;
}

struct orad_upstream *
upstream_new(struct event_base *base, struct ora_error *err)
{
	struct orad_upstream *u = ora_xcalloc(1, sizeof(*u));

	u->base = base;
	proxy_env_read(&u->env);
	if ((u->multi = curl_multi_init()) == NULL) {
		proxy_env_clear(&u->env);
		ora_error_set(err, "cannot initialise libcurl");
		free(u);
		return NULL;
	}
	u->timer = evtimer_new(base, on_timer, u);
	curl_multi_setopt(u->multi, CURLMOPT_SOCKETFUNCTION, curl_socket_cb);
	curl_multi_setopt(u->multi, CURLMOPT_SOCKETDATA, u);
	curl_multi_setopt(u->multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb);
	curl_multi_setopt(u->multi, CURLMOPT_TIMERDATA, u);
	/* Many concurrent streams to one host: multiplex over HTTP/2 where
	 * the upstream offers it, and keep enough idle connections that a burst
	 * does not pay for new TLS handshakes. */
	curl_multi_setopt(u->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	curl_multi_setopt(u->multi, CURLMOPT_MAXCONNECTS, 256L);
	return u;
}

void
upstream_free(struct orad_upstream *u)
{
	if (u == NULL)
		return;
	while (u->n_spare > 0)
		curl_easy_cleanup(u->spare[--u->n_spare]);
	curl_multi_cleanup(u->multi);
	for (size_t fd = 0; fd < u->n_socks; fd++)
		sock_free(u, (curl_socket_t)fd);
	free(u->socks);
	event_free(u->timer);
	for (size_t i = 0; i < UPSTREAM_URL_HANDLES; i++)
		url_release(u->urls[i]);
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

static void
copy_header_value(char *dst, size_t size, const char *v, size_t len)
{
	while (len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
		len--;
	if (len >= size)
		len = size - 1;
	memcpy(dst, v, len);
	dst[len] = '\0';
}

static int
header_is(const char *line, size_t len, const char *name, const char **value, size_t *vlen)
{
	size_t n = strlen(name);

	if (len <= n || line[n] != ':' || strncasecmp(line, name, n) != 0)
		return 0;
	*value = line + n + 1;
	*vlen = len - n - 1;
	return 1;
}

static size_t
curl_header_cb(char *line, size_t size, size_t nitems, void *arg)
{
	struct upstream_xfer *x = arg;
	const struct orad_upstream_api *api = upstream_api();
	size_t len = size * nitems;
	const char *v;
	size_t vlen;

	if (x->cancelled)
		return 0;
	if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		/* A new status line (after a 1xx, or a redirect we do not follow):
		 * forget what the previous block said. */
		memset(&x->h, 0, sizeof(x->h));
		return len;
	}
	if ((len == 2 && line[0] == '\r') || (len == 1 && line[0] == '\n')) {
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->h.status);
		if (x->h.status >= 200 && !x->headers_done) {
			x->headers_done = 1;
			x->cb.on_headers(x->ctx, &x->h);
		}
		return len;
	}
	if (header_is(line, len, "Content-Type", &v, &vlen))
		copy_header_value(x->h.content_type, sizeof(x->h.content_type), v, vlen);
	else if (header_is(line, len, "Retry-After", &v, &vlen))
		copy_header_value(x->h.retry_after, sizeof(x->h.retry_after), v, vlen);
	else if (header_is(line, len, api->generation_id_header, &v, &vlen))
		copy_header_value(x->h.generation_id, sizeof(x->h.generation_id), v, vlen);
	else if (header_is(line, len, api->ratelimit_limit_header, &v, &vlen))
		copy_header_value(x->h.ratelimit_limit, sizeof(x->h.ratelimit_limit), v, vlen);
	else if (header_is(line, len, api->ratelimit_remaining_header, &v, &vlen))
		copy_header_value(x->h.ratelimit_remaining, sizeof(x->h.ratelimit_remaining), v, vlen);
	else if (header_is(line, len, api->ratelimit_reset_header, &v, &vlen))
		copy_header_value(x->h.ratelimit_reset, sizeof(x->h.ratelimit_reset), v, vlen);
	return len;
}

static size_t
curl_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct upstream_xfer *x = arg;
	size_t len = size * nmemb;

	if (x->cancelled)
		return 0; /* makes libcurl fail the transfer, so we can free it */
	if (!x->headers_done) {
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->h.status);
		x->headers_done = 1;
		x->cb.on_headers(x->ctx, &x->h);
	}
	x->cb.on_data(x->ctx, data, len);
	return len;
}

static void
xfer_destroy(struct upstream_xfer *x)
{
	long opened = 0;

	if (curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &opened) == CURLE_OK)
		x->u->connections_opened += opened;
	give_back_handle(x->u, x->easy);
	url_release(x->url);
	/* The Authorization header holds an upstream key in ordinary heap
	 * memory while the transfer runs; leave nothing behind. */
	sodium_memzero(x + 1, x->headers_size);
	free(x);
}

static void
check_done(struct orad_upstream *u)
{
	CURLMsg *msg;
	int left;

	if (u->in_curl > 0)
		return;
	while ((msg = curl_multi_info_read(u->multi, &left)) != NULL) {
		struct upstream_xfer *x;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		CURLcode code = msg->data.result;
		curl_multi_remove_handle(u->multi, x->easy);
		u->active--;
		if (x->cancelled) {
			xfer_destroy(x);
			continue;
		}
		if (code != CURLE_OK && !x->headers_done) {
			/* Fill in what we know so on_done can still decide. */
			x->h.status = 0;
		}
		/* The callee frees the transfer, errbuf with it: hand it a copy. */
		char message[CURL_ERROR_SIZE];
		ora_strlcpy(message,
		    code == CURLE_OK ? "" : (x->errbuf[0] ? x->errbuf : curl_easy_strerror(code)),
		    sizeof(message));
		x->cb.on_done(x->ctx, (int)code, message, upstream_xfer_request_sent(x));
	}
}

struct upstream_xfer *
upstream_start(struct orad_upstream *u, const struct upstream_request *r,
    const struct upstream_callbacks *cb, void *ctx, struct ora_error *err)
{
	struct upstream_xfer *x;
	struct curl_slist *nodes;
	size_t size, text = 0;
	char *p;
	CURL *e;

	/* The lines and "Expect:" (no 100-continue round trip for large
	 * prompts), each a node and its text, after the struct. */
	for (size_t i = 0; i < r->n_headers; i++)
		text += strlen(r->headers[i]) + 1;
	text += sizeof("Expect:");
	size = (r->n_headers + 1) * sizeof(*nodes) + text;
	x = ora_xcalloc(1, sizeof(*x) + size);
	x->headers_size = size;
	nodes = (struct curl_slist *)(x + 1);
	p = (char *)(nodes + r->n_headers + 1);
	for (size_t i = 0; i <= r->n_headers; i++) {
		const char *line = i < r->n_headers ? r->headers[i] : "Expect:";
		size_t n = strlen(line) + 1;

		memcpy(p, line, n);
		nodes[i].data = p;
		nodes[i].next = i < r->n_headers ? &nodes[i + 1] : NULL;
		p += n;
	}
	x->headers = nodes;
	x->u = u;
	x->cb = *cb;
	x->ctx = ctx;
	if ((x->easy = e = take_handle(u)) == NULL) {
		free(x);
		ora_error_set(err, "cannot create an upstream transfer");
		return NULL;
	}
	/* The proxy is set, never left to libcurl, which would read the
	 * environment again for each transfer. */
	if ((x->url = url_take(u, r->url)) != NULL) {
		/* The text too, as libcurl would write it: without it each
		 * transfer writes the handle's URL back (curl_url_get). */
		curl_easy_setopt(e, CURLOPT_URL, x->url->normalized);
		curl_easy_setopt(e, CURLOPT_CURLU, x->url->h);
		curl_easy_setopt(e, CURLOPT_PROXY, x->url->proxy);
	} else {
		curl_easy_setopt(e, CURLOPT_URL, r->url);
	}
	curl_easy_setopt(e, CURLOPT_NOPROXY, u->env.none != NULL ? u->env.none : "");
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, curl_open_socket_cb);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, u);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, curl_close_socket_cb);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, u);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, curl_header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, curl_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, r->connect_timeout_s);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, r->total_timeout_s);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	/* Only ever talk HTTP(S) upstream, whatever the base URL says. */
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	if (r->ca_pem != NULL) {
		/* These certificates instead of the system's: in libcurl 7.88 a
		 * CA blob replaces the CA file (vtls/openssl.c), and the CA
		 * directory, which would still be read, is turned off. */
		struct curl_blob ca = {(void *)r->ca_pem, r->ca_pem_len, CURL_BLOB_COPY};

		curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &ca);
		curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	}
	if (strcmp(r->method, "POST") == 0) {
		x->body_len = (curl_off_t)r->body_len;
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)r->body_len);
		curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, r->body != NULL ? r->body : "");
	}
	if (curl_multi_add_handle(u->multi, e) != CURLM_OK) {
		xfer_destroy(x);
		ora_error_set(err, "cannot start an upstream transfer");
		return NULL;
	}
	u->active++;
	return x;
}

int
upstream_xfer_request_sent(const struct upstream_xfer *x)
{
	curl_off_t body = 0;
	long head = 0;

	if (x == NULL)
		return 0;
	if (x->headers_done)
		return 1;
	/* libcurl counts the request's header bytes (with a small body sent
	 * in the same write) once they are written to the connection, and
	 * the body's bytes as they are written. */
	if (curl_easy_getinfo(x->easy, CURLINFO_REQUEST_SIZE, &head) != CURLE_OK ||
	    curl_easy_getinfo(x->easy, CURLINFO_SIZE_UPLOAD_T, &body) != CURLE_OK)
		return 0;
	return head > 0 && body >= x->body_len;
}

void
upstream_xfer_abort(struct upstream_xfer *x)
{
	if (x == NULL)
		return;
	if (x->u->in_curl > 0) {
		/* libcurl forbids removing a handle from inside its callbacks;
		 * the next callback refuses the data and check_done frees it. */
		x->cancelled = 1;
		return;
	}
	curl_multi_remove_handle(x->u->multi, x->easy);
	x->u->active--;
	xfer_destroy(x);
}

void
upstream_xfer_pause(struct upstream_xfer *x, int paused)
{
	if (x != NULL)
		curl_easy_pause(x->easy, paused ? CURLPAUSE_RECV : CURLPAUSE_CONT);
}

void
upstream_xfer_free(struct upstream_xfer *x)
{
	if (x == NULL)
		return;
	xfer_destroy(x);
}
