/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <event2/event.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "admit/admit.h"
#include "common/log.h"
#include "common/util.h"
#include "config/conf.h"
#include "orad/catalog.h"
#include "orad/upstream.h"

struct orad_catalog {
	struct orad_upstream *up;
	struct event *timer;
	char *base_url;
	char *ca_pem; /* upstream.ca_file's certificates, or NULL */
	size_t ca_pem_len;
	long refresh_s;
	long connect_timeout_s;
	struct upstream_xfer *xfer; /* fetch in progress */
	long status;
	char *body;
	size_t len;
	int too_big;
	struct json_object *root;   /* last good answer */
	struct json_object *by_id;  /* id -> model object (borrowed refs) */
	int64_t loaded_ms;
};

static void fetch(struct orad_catalog *c);

static void
schedule(struct orad_catalog *c, long seconds)
{
	struct timeval tv = { seconds, 0 };

	evtimer_add(c->timer, &tv);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	fetch(arg);
}

static void
on_headers(void *ctx, const struct upstream_headers *h)
{
	struct orad_catalog *c = ctx;

	c->status = h->status;
}

static void
on_data(void *ctx, const char *data, size_t len)
{
	struct orad_catalog *c = ctx;

	if (c->too_big || c->len + len > CATALOG_MAX_BYTES) {
		c->too_big = 1;
		return;
	}
	c->body = ora_xrealloc(c->body, c->len + len + 1);
	memcpy(c->body + c->len, data, len);
	c->len += len;
	c->body[c->len] = '\0';
}

static int
install(struct orad_catalog *c, struct ora_error *err)
{
	struct json_object *root, *data, *by_id;

	if (c->too_big)
		return ora_error_set(err, "model list larger than %ld bytes", CATALOG_MAX_BYTES);
	if ((root = json_tokener_parse(c->body != NULL ? c->body : "")) == NULL)
		return ora_error_set(err, "model list is not JSON");
	if (!json_object_object_get_ex(root, "data", &data) ||
	    !json_object_is_type(data, json_type_array)) {
		json_object_put(root);
		return ora_error_set(err, "model list has no \"data\" array");
	}
	by_id = json_object_new_object();
	for (size_t i = 0; i < json_object_array_length(data); i++) {
		struct json_object *m = json_object_array_get_idx(data, i), *id;
		if (json_object_object_get_ex(m, "id", &id) && json_object_is_type(id, json_type_string))
			json_object_object_add(by_id, json_object_get_string(id), json_object_get(m));
	}
	admit_catalog_prepare(by_id);
	json_object_put(c->root);
	json_object_put(c->by_id);
	c->root = root;
	c->by_id = by_id;
	c->loaded_ms = ora_wall_ms();
	ora_log_info("catalog: %zu models from %s", json_object_array_length(data), c->base_url);
	return 0;
}

static void
on_done(void *ctx, int curl_code, const char *message, int connected)
{
	struct orad_catalog *c = ctx;
	struct ora_error err = { "" };

	upstream_xfer_free(c->xfer);
	c->xfer = NULL;
	if (curl_code != 0)
		ora_error_set(&err, "%s", message);
	else if (c->status != 200)
		ora_error_set(&err, "upstream answered HTTP %ld", c->status);
	if (err.msg[0] == '\0' && install(c, &err) == 0) {
		schedule(c, c->refresh_s);
	} else {
		ora_log_warning("catalog: refresh from %s/models failed: %s; %s", c->base_url,
		    err.msg, c->root != NULL ? "keeping the previous list" : "no model list yet");
		schedule(c, c->refresh_s < CATALOG_RETRY_S ? c->refresh_s : CATALOG_RETRY_S);
	}
	free(c->body);
	c->body = NULL;
	c->len = 0;
	c->too_big = 0;
}

static void
fetch(struct orad_catalog *c)
{
	static const struct upstream_callbacks cb = { on_headers, on_data, on_done };
	char *url = ora_xasprintf("%s/models", c->base_url);
	const char *headers[] = { "Accept: application/json" };
	struct upstream_request r = {
		.method = "GET", .url = url, .headers = headers, .n_headers = 1,
		.connect_timeout_s = c->connect_timeout_s, .total_timeout_s = 60,
		.ca_pem = c->ca_pem, .ca_pem_len = c->ca_pem_len,
	};
	struct ora_error err;

	if (c->xfer != NULL) {
		free(url);
		return;
	}
	c->status = 0;
	if ((c->xfer = upstream_start(c->up, &r, &cb, c, &err)) == NULL) {
		ora_log_warning("catalog: %s", err.msg);
		schedule(c, CATALOG_RETRY_S);
	}
	free(url);
}

struct orad_catalog *
catalog_new(struct event_base *base, struct orad_upstream *u)
{
	struct orad_catalog *c = ora_xcalloc(1, sizeof(*c));

	c->up = u;
	c->timer = evtimer_new(base, on_timer, c);
	return c;
}

void
catalog_free(struct orad_catalog *c)
{
	if (c == NULL)
		return;
	upstream_xfer_abort(c->xfer);
	event_free(c->timer);
	json_object_put(c->root);
	json_object_put(c->by_id);
	free(c->body);
	free(c->base_url);
	free(c->ca_pem);
	free(c);
}

void
catalog_configure(struct orad_catalog *c, const char *base_url, long refresh_s,
    long connect_timeout_s, const char *ca_pem, size_t ca_pem_len)
{
	int same_ca = c->ca_pem_len == ca_pem_len && (c->ca_pem == NULL) == (ca_pem == NULL) &&
	    (ca_pem == NULL || memcmp(c->ca_pem, ca_pem, ca_pem_len) == 0);
	int changed = c->base_url == NULL || strcmp(c->base_url, base_url) != 0 || !same_ca;
	long refresh = refresh_s > 0 ? refresh_s : ORA_DEFAULT_CATALOG_REFRESH_S;

	c->connect_timeout_s = connect_timeout_s;
	if (!changed && c->root != NULL) {
		if (refresh != c->refresh_s && c->xfer == NULL) {
			/* A new interval starts counting now. */
			evtimer_del(c->timer);
			schedule(c, refresh);
		}
		c->refresh_s = refresh;
		return;
	}
	c->refresh_s = refresh;
	free(c->base_url);
	c->base_url = ora_xstrdup(base_url);
	free(c->ca_pem);
	c->ca_pem = NULL;
	c->ca_pem_len = 0;
	if (ca_pem != NULL) {
		c->ca_pem = ora_xmalloc(ca_pem_len);
		memcpy(c->ca_pem, ca_pem, ca_pem_len);
		c->ca_pem_len = ca_pem_len;
	}
	upstream_xfer_abort(c->xfer);
	c->xfer = NULL;
	free(c->body);
	c->body = NULL;
	c->len = 0;
	evtimer_del(c->timer);
	fetch(c);
}

struct json_object *
catalog_models(const struct orad_catalog *c)
{
	struct json_object *data;

	if (c->root == NULL || !json_object_object_get_ex(c->root, "data", &data))
		return NULL;
	return data;
}

struct json_object *
catalog_find(const struct orad_catalog *c, const char *id)
{
	struct json_object *m;

	if (c->by_id == NULL || !json_object_object_get_ex(c->by_id, id, &m))
		return NULL;
	return m;
}

struct json_object *
catalog_by_id(const struct orad_catalog *c)
{
	return c->by_id;
}

int64_t
catalog_loaded_ms(const struct orad_catalog *c)
{
	return c->loaded_ms;
}
