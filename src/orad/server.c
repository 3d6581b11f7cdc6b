/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "config/policy.h"
#include "orad/handlers.h"
#include "orad/http_conn.h"
#include "orad/orad.h"
#include "orad/peers.h"
#include "orad/reply.h"
#include "orad/server.h"
#include "orad/whois.h"
#include "orad/wire.h"

enum route_kind {
	ROUTE_WIRE,     /* a wire shape's endpoint (wire.h) */
	ROUTE_MODELS,
	ROUTE_ME,
	ROUTE_USAGE,
	ROUTE_GENERATION,
	ROUTE_ADMIN_RELOAD,
	ROUTE_ADMIN_STATUS,
	ROUTE_ADMIN_METRICS,
};

struct route {
	const char *path;
	const char *method;
	enum route_kind kind;
	const struct orad_wire *wire; /* ROUTE_WIRE */
};

/* OpenRouter's paths, so its SDKs work with only a base URL change; the
 * /v1 aliases serve OpenAI SDKs configured with base URL http://localhost/v1.
 * The wire shapes' paths are their own (wire_find). */
static const struct route routes[] = {
	{ "/api/v1/models", "GET", ROUTE_MODELS, NULL },
	{ "/v1/models", "GET", ROUTE_MODELS, NULL },
	{ "/api/v1/me", "GET", ROUTE_ME, NULL },
	{ "/v1/me", "GET", ROUTE_ME, NULL },
	{ "/api/v1/usage", "GET", ROUTE_USAGE, NULL },
	{ "/v1/usage", "GET", ROUTE_USAGE, NULL },
	{ "/api/v1/generation", "GET", ROUTE_GENERATION, NULL },
	{ "/api/v1/admin/reload", "POST", ROUTE_ADMIN_RELOAD, NULL },
	{ "/api/v1/admin/status", "GET", ROUTE_ADMIN_STATUS, NULL },
	{ "/api/v1/admin/metrics", "GET", ROUTE_ADMIN_METRICS, NULL },
};

int
caller_is_admin(const struct orad_caller *caller)
{
	const char *group = caller->conf->daemon.admin_group;

	return caller->id.uid == 0 || (group != NULL && ora_identity_in_group(&caller->id, group));
}

void
caller_clear(struct orad_caller *c)
{
	ora_identity_clear(&c->id);
	ora_conf_unref(c->conf);
	c->conf = NULL;
	c->rule = NULL;
}

/* The route for path into *out; NULL when none. */
static const struct route *
find_route(const char *path, size_t len, struct route *out)
{
	const struct orad_wire *w;

	if ((w = wire_find(path, len)) != NULL) {
		*out = (struct route){ .method = "POST", .kind = ROUTE_WIRE, .wire = w };
		for (const char *const *p = w->paths; *p != NULL; p++)
			if (strlen(*p) == len && memcmp(*p, path, len) == 0)
				out->path = *p;
		return out;
	}
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strlen(routes[i].path) == len && memcmp(routes[i].path, path, len) == 0) {
			*out = routes[i];
			return out;
		}
	return NULL;
}

static void
refuse_unmatched(const struct orad_wire *wire, struct http_req *req, const struct orad_caller *c)
{
	char groups[1024] = "";

	for (size_t i = 0; i < c->id.n_groups; i++) {
		if (i > 0)
			strncat(groups, ", ", sizeof(groups) - strlen(groups) - 1);
		strncat(groups, c->id.groups[i], sizeof(groups) - strlen(groups) - 1);
	}
	wire_reply_error(wire, req, 403, ORA_ERR_NOT_PERMITTED,
	    "you (user %s, uid %u, groups %s) are not permitted to use this broker: no rule "
	    "matches you; to get access, ask %s",
	    c->id.user, (unsigned)c->id.uid, groups,
	    c->conf->contact != NULL ? c->conf->contact : "your system administrator");
}

static void
refuse_draining(const struct orad_wire *wire, struct http_req *req)
{
	http_reply_add_header(req, "Connection", "close");
	wire_reply_error(wire, req, 503, ORA_ERR_SHUTTING_DOWN,
	    "the broker is shutting down; try again in a moment");
}

/* Who is asking and for what: every check that needs no body, so that a
 * caller who may not use the endpoint is refused before orad reads (or
 * keeps) a byte of their body. Answers and returns -1 when refused. */
static int
authorise(struct orad *d, struct http_req *req, struct orad_caller *caller,
    struct route *route_out)
{
	struct ora_error err;
	const char *uri = http_req_target(req);
	size_t path_len = strcspn(uri, "?#");
	const struct route *route = find_route(uri, path_len, route_out);
	/* Refusals on a wire shape's endpoint come in its error shape, so
	 * the client that speaks it shows them. */
	const struct orad_wire *wire = route != NULL ? route->wire : NULL;

	caller->conn = http_req_peer(req);
	caller->conf = ora_conf_ref(d->conf);
	/* Fail closed: if we cannot say who this is, they get nothing. */
	if (whois_resolve(d->whois, caller->conn, &caller->id, &err) != 0) {
		ora_log_warning("refusing uid %u: %s", (unsigned)caller->conn->uid, err.msg);
		wire_reply_error(wire, req, 403, ORA_ERR_NOT_PERMITTED,
		    "the broker cannot resolve your identity (uid %u): %s; ask your administrator",
		    (unsigned)caller->conn->uid, err.msg);
		return -1;
	}
	caller->rule = ora_policy_match(caller->conf, &caller->id, &caller->via_group);
	if (route != NULL && route->kind >= ROUTE_ADMIN_RELOAD) {
		/* Admin endpoints: decided by who you are, not by any rule. */
		if (!caller_is_admin(caller)) {
			wire_reply_error(wire, req, 403, ORA_ERR_NOT_PERMITTED,
			    "%s is for administrators: root or members of group %s; you are user %s",
			    route->path,
			    caller->conf->daemon.admin_group ? caller->conf->daemon.admin_group : "(none configured)",
			    caller->id.user);
			return -1;
		}
	} else if (caller->rule == NULL && !(route != NULL && route->kind == ROUTE_USAGE &&
	                                        caller_is_admin(caller))) {
		ora_log_refusal((unsigned)caller->id.uid, "refused uid=%u user=%s: no rule matches",
		    (unsigned)caller->id.uid, caller->id.user);
		refuse_unmatched(wire, req, caller);
		return -1;
	}
	if (d->draining) {
		refuse_draining(wire, req);
		return -1;
	}
	if (route == NULL) {
		wire_reply_error(wire, req, 404, ORA_ERR_NOT_FOUND,
		    "no such endpoint: %.*s; see the README for the paths this broker serves",
		    (int)(path_len > 200 ? 200 : path_len), uri);
		return -1;
	}
	if (strcmp(http_req_method(req), route->method) != 0) {
		http_reply_add_header(req, "Allow", route->method);
		wire_reply_error(wire, req, 405, ORA_ERR_METHOD, "%s takes %s", route->path, route->method);
		return -1;
	}
	return 0;
}

/* What the head's checks found, kept with the request for its body. */
struct head_check {
	struct orad_caller caller;
	struct route route;
};

static void
head_check_free(void *p)
{
	struct head_check *h = p;

	caller_clear(&h->caller);
	free(h);
}

/* A head with a body to follow: refuse now what would be refused anyway,
 * and keep who is asking for the body (resolving and matching again cost
 * three allocations and the policy's walk a request). */
static int
on_head(struct orad *d, struct http_req *req)
{
	struct head_check *h = ora_xcalloc(1, sizeof(*h));

	if (authorise(d, req, &h->caller, &h->route) != 0) {
		head_check_free(h);
		return -1;
	}
	http_req_keep(req, h, head_check_free);
	return 0;
}

/* The caller and route the head found, when they still hold: the same
 * configuration (a reload may have changed the rules), and not draining. */
static int
take_head_check(struct orad *d, struct http_req *req, struct orad_caller *caller,
    struct route *route)
{
	struct head_check *h = http_req_take(req);

	if (h == NULL)
		return -1;
	if (h->caller.conf != d->conf) {
		head_check_free(h);
		return -1;
	}
	*caller = h->caller;
	*route = h->route;
	free(h);
	return 0;
}

static void
on_request(struct orad *d, struct http_req *req)
{
	struct orad_caller caller = { 0 };
	struct route route;

	if (take_head_check(d, req, &caller, &route) == 0) {
		if (d->draining) {
			refuse_draining(route.wire, req);
			goto out;
		}
	} else if (authorise(d, req, &caller, &route) != 0) {
		goto out;
	}
	switch (route.kind) {
	case ROUTE_WIRE:
		chat_handle(d, route.wire, req, &caller); /* takes over caller */
		break;
	case ROUTE_MODELS:
		info_models(d, req, &caller);
		break;
	case ROUTE_ME:
		info_me(d, req, &caller);
		break;
	case ROUTE_USAGE:
		info_usage(d, req, &caller);
		break;
	case ROUTE_GENERATION:
		info_generation(d, req, &caller);
		break;
	case ROUTE_ADMIN_RELOAD:
		admin_reload(d, req, &caller);
		break;
	case ROUTE_ADMIN_STATUS:
		admin_status(d, req, &caller);
		break;
	case ROUTE_ADMIN_METRICS:
		admin_metrics(d, req, &caller);
		break;
	}
out:
	caller_clear(&caller);
}

void
server_apply_limits(struct orad *d)
{
	/* The door reads every limit from d->conf as it applies it, so a
	 * reload takes effect on the next connection or request. */
	(void)d;
}

int
server_start(struct orad *d, struct ora_error *err)
{
	if ((d->http = http_server_new(d, d->listen_fd, on_request, on_head, err)) == NULL)
		return -1;
	/* After identity, a TCP caller takes the same path as a socket one. */
	for (size_t i = 0; i < d->tcp.n; i++)
		if (http_server_listen_tcp(d->http, d->tcp.fd[i], d->tcp.spec[i], d->tcpident, err) != 0)
			return -1;
	return 0;
}

void
server_stop_accepting(struct orad *d)
{
	/* Closes the listening descriptor too. */
	http_server_stop_accepting(d->http);
	d->listen_fd = -1;
	for (size_t i = 0; i < d->tcp.n; i++)
		d->tcp.fd[i] = -1;
}

void
server_free(struct orad *d)
{
	http_server_free(d->http);
	d->http = NULL;
}
