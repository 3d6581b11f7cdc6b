#include "config.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "config/policy.h"
#include "orad/handlers.h"
#include "orad/orad.h"
#include "orad/peers.h"
#include "orad/reply.h"
#include "orad/server.h"
#include "orad/whois.h"

/* Every method reaches our dispatcher, so a wrong one gets our 405 with a
 * JSON body instead of evhttp's HTML 501. */
#define ALL_METHODS                                                                          \
	(EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |                 \
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |     \
	    EVHTTP_REQ_PATCH)

enum route_kind {
	ROUTE_CHAT,
	ROUTE_MODELS,
	ROUTE_ME,
	ROUTE_USAGE,
	ROUTE_ADMIN_RELOAD,
	ROUTE_ADMIN_STATUS,
	ROUTE_ADMIN_METRICS,
};

struct route {
	const char *path;
	enum evhttp_cmd_type method;
	const char *method_name;
	enum route_kind kind;
};

/* OpenRouter's paths, so its SDKs work with only a base URL change; the
 * /v1 aliases serve OpenAI SDKs configured with base URL http://localhost/v1. */
static const struct route routes[] = {
	{ "/api/v1/chat/completions", EVHTTP_REQ_POST, "POST", ROUTE_CHAT },
	{ "/v1/chat/completions", EVHTTP_REQ_POST, "POST", ROUTE_CHAT },
	{ "/api/v1/models", EVHTTP_REQ_GET, "GET", ROUTE_MODELS },
	{ "/v1/models", EVHTTP_REQ_GET, "GET", ROUTE_MODELS },
	{ "/api/v1/me", EVHTTP_REQ_GET, "GET", ROUTE_ME },
	{ "/v1/me", EVHTTP_REQ_GET, "GET", ROUTE_ME },
	{ "/api/v1/usage", EVHTTP_REQ_GET, "GET", ROUTE_USAGE },
	{ "/v1/usage", EVHTTP_REQ_GET, "GET", ROUTE_USAGE },
	{ "/api/v1/admin/reload", EVHTTP_REQ_POST, "POST", ROUTE_ADMIN_RELOAD },
	{ "/api/v1/admin/status", EVHTTP_REQ_GET, "GET", ROUTE_ADMIN_STATUS },
	{ "/api/v1/admin/metrics", EVHTTP_REQ_GET, "GET", ROUTE_ADMIN_METRICS },
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

static const struct route *
find_route(const char *path, size_t len)
{
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strlen(routes[i].path) == len && memcmp(routes[i].path, path, len) == 0)
			return &routes[i];
	return NULL;
}

static void
refuse_unmatched(struct evhttp_request *req, const struct orad_caller *c)
{
	char groups[1024] = "";

	for (size_t i = 0; i < c->id.n_groups; i++) {
		if (i > 0)
			strncat(groups, ", ", sizeof(groups) - strlen(groups) - 1);
		strncat(groups, c->id.groups[i], sizeof(groups) - strlen(groups) - 1);
	}
	reply_error(req, 403, ORA_ERR_NOT_PERMITTED,
	    "you (user %s, uid %u, groups %s) are not permitted to use this broker: no rule "
	    "matches you; to get access, ask %s",
	    c->id.user, (unsigned)c->id.uid, groups,
	    c->conf->contact != NULL ? c->conf->contact : "your system administrator");
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct orad *d = arg;
	struct orad_caller caller = { 0 };
	struct ora_error err;
	const char *uri = evhttp_request_get_uri(req);
	const struct route *route;
	int over;
	size_t path_len;

	caller.conn = peers_conn_for(d->peers, req, d->conf->daemon.max_connections_per_uid, &over);
	if (caller.conn == NULL) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
		if (over)
			reply_error(req, 429, ORA_ERR_TOO_MANY_CONNECTIONS,
			    "you already have %ld connections open to this broker; close some",
			    d->conf->daemon.max_connections_per_uid);
		else
			reply_error(req, 403, ORA_ERR_NOT_PERMITTED,
			    "the broker cannot read your peer credentials, so it cannot tell who you are");
		return;
	}
	caller.conf = ora_conf_ref(d->conf);
	/* Fail closed: if we cannot say who this is, they get nothing. */
	if (whois_resolve(d->whois, caller.conn, &caller.id, &err) != 0) {
		ora_log_warning("refusing uid %u: %s", (unsigned)caller.conn->uid, err.msg);
		reply_error(req, 403, ORA_ERR_NOT_PERMITTED,
		    "the broker cannot resolve your identity (uid %u): %s; ask your administrator",
		    (unsigned)caller.conn->uid, err.msg);
		goto out;
	}
	path_len = strcspn(uri, "?#");
	route = find_route(uri, path_len);
	caller.rule = ora_policy_match(caller.conf, &caller.id, &caller.via_group);
	if (route != NULL && route->kind >= ROUTE_ADMIN_RELOAD) {
		/* Admin endpoints: decided by who you are, not by any rule. */
		if (!caller_is_admin(&caller)) {
			reply_error(req, 403, ORA_ERR_NOT_PERMITTED,
			    "%s is for administrators: root or members of group %s; you are user %s",
			    route->path,
			    caller.conf->daemon.admin_group ? caller.conf->daemon.admin_group : "(none configured)",
			    caller.id.user);
			goto out;
		}
	} else if (caller.rule == NULL && !(route != NULL && route->kind == ROUTE_USAGE &&
	                                       caller_is_admin(&caller))) {
		ora_log_refusal((unsigned)caller.id.uid, "refused uid=%u user=%s: no rule matches",
		    (unsigned)caller.id.uid, caller.id.user);
		refuse_unmatched(req, &caller);
		goto out;
	}
	if (d->draining) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
		reply_error(req, 503, ORA_ERR_SHUTTING_DOWN,
		    "the broker is shutting down; try again in a moment");
		goto out;
	}
	if (route == NULL) {
		reply_error(req, 404, ORA_ERR_NOT_FOUND,
		    "no such endpoint: %.*s; see the README for the paths this broker serves",
		    (int)(path_len > 200 ? 200 : path_len), uri);
		goto out;
	}
	if (evhttp_request_get_command(req) != route->method) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", route->method_name);
		reply_error(req, 405, ORA_ERR_METHOD, "%s takes %s", route->path, route->method_name);
		goto out;
	}
	switch (route->kind) {
	case ROUTE_CHAT:
		chat_handle(d, req, &caller); /* takes over caller */
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
	const struct ora_daemon_conf *dc = &d->conf->daemon;

	/* evhttp answers a body over its limit itself (413, HTML) before our
	 * handler sees it. Let bodies up to twice our limit through so most
	 * oversized requests get our JSON 413 naming the setting; beyond that,
	 * evhttp's refusal protects memory. */
	evhttp_set_max_body_size(d->http, (ev_ssize_t)dc->max_body_bytes * 2);
	evhttp_set_max_headers_size(d->http, (ev_ssize_t)dc->max_header_bytes);
	evhttp_set_timeout(d->http, (int)dc->header_timeout);
}

int
server_start(struct orad *d, struct ora_error *err)
{
	if ((d->http = evhttp_new(d->base)) == NULL)
		return ora_error_set(err, "cannot create the HTTP server");
	evhttp_set_allowed_methods(d->http, ALL_METHODS);
	evhttp_set_gencb(d->http, on_request, d);
	evhttp_set_default_content_type(d->http, "application/json");
	server_apply_limits(d);
	if ((d->bound = evhttp_accept_socket_with_handle(d->http, d->listen_fd)) == NULL)
		return ora_error_set(err, "cannot serve on the socket");
	return 0;
}

void
server_stop_accepting(struct orad *d)
{
	if (d->bound != NULL) {
		/* Closes the listening descriptor too. */
		evhttp_del_accept_socket(d->http, d->bound);
		d->bound = NULL;
		d->listen_fd = -1;
	}
}

void
server_free(struct orad *d)
{
	if (d->http != NULL)
		evhttp_free(d->http);
	d->http = NULL;
}
