/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * mock_keys.c: OpenRouter's key-management API (management keys, keys
 * they create, per-key limits) for `oractl key provision` tests.
 *
 * Endpoints, in OpenRouter's documented shapes (see README.md):
 *   POST   /api/v1/keys          create: 201 {data: KeyObj, key: "sk-or-v1-..."}
 *   GET    /api/v1/keys          list:   {data: [KeyObj...]} (offset, include_disabled)
 *   GET    /api/v1/keys/{hash}   get:    {data: KeyObj}
 *   PATCH  /api/v1/keys/{hash}   update: name, disabled, limit, limit_reset
 *   DELETE /api/v1/keys/{hash}   delete: {deleted: true}
 * all authorised by a management key (--management-keys FILE); any other
 * accepted key gets 403 "Only management keys can perform this operation".
 *
 * Keys created here are accepted for completions, GET /key and
 * /generation. Their limit is enforced as OpenRouter does: a request is
 * refused with 402 once the key's usage (the mock's billing records for
 * it) has reached its limit; the request that crosses the limit is served
 * in full, as upstream. A disabled or deleted key is 401 "User not found.".
 * A management key is refused for completions (403).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/random.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "mock.h"

#define MOCK_KEYS_PAGE 100 /* OpenRouter's page size for GET /keys */
#define MOCK_KEY_HEX 64
#define MOCK_HASH_HEX 64
#define MOCK_KEY_NAME_MAX 256

struct mock_pkey {
	char key[sizeof("sk-or-v1-") + MOCK_KEY_HEX];
	char hash[MOCK_HASH_HEX + 1];
	char *name;
	int64_t limit_pico; /* -1: no limit */
	char *limit_reset;  /* NULL, "daily", "weekly" or "monthly" */
	int include_byok_in_limit;
	int disabled;
	int deleted; /* kept so that its key answers 401, not "any key" */
	int64_t created_ms, updated_ms;
};

struct mock_keys {
	struct mock_pkey **v;
	size_t n;
	uint64_t created, listed, got, updated, deleted, refused_limit, refused_disabled;
};

struct mock_keys *
mock_keys_new(void)
{
	return mock_xcalloc(1, sizeof(struct mock_keys));
}

void
mock_keys_free(struct mock_keys *k)
{
	size_t i;

	if (k == NULL)
		return;
	for (i = 0; i < k->n; i++) {
		free(k->v[i]->name);
		free(k->v[i]->limit_reset);
		free(k->v[i]);
	}
	free(k->v);
	free(k);
}

static void
mock_keys_hex(char *out, size_t digits)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[64];
	size_t i;

	if (getrandom(b, digits / 2, 0) != (ssize_t)(digits / 2))
		for (i = 0; i < digits / 2; i++)
			b[i] = (unsigned char)rand();
	for (i = 0; i < digits / 2; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[digits] = '\0';
}

static struct mock_pkey *
mock_keys_by_key(const struct mock_server *srv, const char *key)
{
	size_t i;

	for (i = 0; srv->provisioned != NULL && i < srv->provisioned->n; i++)
		if (strcmp(srv->provisioned->v[i]->key, key) == 0)
			return srv->provisioned->v[i];
	return NULL;
}

static struct mock_pkey *
mock_keys_by_hash(const struct mock_server *srv, const char *hash)
{
	size_t i;

	for (i = 0; i < srv->provisioned->n; i++)
		if (!srv->provisioned->v[i]->deleted &&
		    strcmp(srv->provisioned->v[i]->hash, hash) == 0)
			return srv->provisioned->v[i];
	return NULL;
}

static int
mock_keys_is_management(const struct mock_server *srv, const char *key)
{
	return srv->management_keys != NULL &&
	       mock_map_get(srv->management_keys, key, strlen(key)) != NULL;
}

int
mock_keys_auth(struct mock_server *srv, const char *key, const char **why)
{
	struct mock_pkey *p;

	if (mock_keys_is_management(srv, key))
		return 1;
	if ((p = mock_keys_by_key(srv, key)) == NULL)
		return 0;
	if (p->disabled || p->deleted) {
		srv->provisioned->refused_disabled++;
		*why = "User not found.";
		return -1;
	}
	return 1;
}

int
mock_keys_refuse(struct mock_server *srv, const char *key, const char **why)
{
	struct mock_pkey *p;

	if (mock_keys_is_management(srv, key)) {
		*why = "Management keys cannot be used for completions";
		return 403;
	}
	p = mock_keys_by_key(srv, key);
	if (p == NULL || p->limit_pico < 0)
		return 0;
	if (mock_records_usage(srv->records, key) >= p->limit_pico) {
		srv->provisioned->refused_limit++;
		*why = p->limit_reset == NULL ? "Key limit exceeded (total limit). Manage it using "
		                                "https://openrouter.ai/settings/keys"
		       : strcmp(p->limit_reset, "daily") == 0
		           ? "Key limit exceeded (daily limit). Manage it using "
		             "https://openrouter.ai/settings/keys"
		       : strcmp(p->limit_reset, "weekly") == 0
		           ? "Key limit exceeded (weekly limit). Manage it using "
		             "https://openrouter.ai/settings/keys"
		           : "Key limit exceeded (monthly limit). Manage it using "
		             "https://openrouter.ai/settings/keys";
		return 402;
	}
	return 0;
}

static json_object *
mock_keys_time(int64_t ms)
{
	char buf[40];

	if (ms == 0)
		return NULL;
	mock_iso8601(ms, buf, sizeof(buf));
	return json_object_new_string(buf);
}

/* KeyObj, as GET /keys/{hash} answers it. */
static json_object *
mock_keys_obj(const struct mock_server *srv, const struct mock_pkey *p)
{
	json_object *o = json_object_new_object();
	int64_t usage = mock_records_usage(srv->records, p->key), left;
	size_t len = strlen(p->key);
	char label[64];

	/* The label is the masked key, as upstream. */
	snprintf(label, sizeof(label), "%.12s...%s", p->key, p->key + len - 4);
	json_object_object_add(o, "hash", json_object_new_string(p->hash));
	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "label", json_object_new_string(label));
	json_object_object_add(o, "disabled", json_object_new_boolean(p->disabled));
	json_object_object_add(
	    o, "limit", p->limit_pico < 0 ? NULL : mock_money_json(p->limit_pico));
	left = p->limit_pico - usage;
	json_object_object_add(
	    o, "limit_remaining", p->limit_pico < 0 ? NULL : mock_money_json(left > 0 ? left : 0));
	json_object_object_add(o, "limit_reset",
	    p->limit_reset != NULL ? json_object_new_string(p->limit_reset) : NULL);
	json_object_object_add(
	    o, "include_byok_in_limit", json_object_new_boolean(p->include_byok_in_limit));
	/* The mock lives within one window: every window holds all usage. */
	json_object_object_add(o, "usage", mock_money_json(usage));
	json_object_object_add(o, "usage_daily", mock_money_json(usage));
	json_object_object_add(o, "usage_weekly", mock_money_json(usage));
	json_object_object_add(o, "usage_monthly", mock_money_json(usage));
	json_object_object_add(o, "byok_usage", mock_money_json(0));
	json_object_object_add(o, "byok_usage_daily", mock_money_json(0));
	json_object_object_add(o, "byok_usage_weekly", mock_money_json(0));
	json_object_object_add(o, "byok_usage_monthly", mock_money_json(0));
	json_object_object_add(o, "created_at", mock_keys_time(p->created_ms));
	json_object_object_add(o, "updated_at", mock_keys_time(p->updated_ms));
	json_object_object_add(o, "expires_at", NULL);
	return o;
}

/* A limit: a non-negative number of USD, or null. *why on error. */
static int
mock_keys_limit(json_object *v, int64_t *pico, const char **why)
{
	if (v == NULL) {
		*pico = -1;
		return 0;
	}
	if ((!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int)) ||
	    mock_money_parse(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN), pico) !=
	        0 ||
	    *pico < 0) {
		*why = "limit must be a non-negative number (USD) or null";
		return -1;
	}
	return 0;
}

static int
mock_keys_reset(json_object *v, char **out, const char **why)
{
	const char *s;

	if (v == NULL) {
		free(*out);
		*out = NULL;
		return 0;
	}
	s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
	if (strcmp(s, "daily") != 0 && strcmp(s, "weekly") != 0 && strcmp(s, "monthly") != 0) {
		*why = "limit_reset must be daily, weekly, monthly or null";
		return -1;
	}
	free(*out);
	*out = mock_xstrdup(s);
	return 0;
}

/* Apply the fields of body that create (all) or update (PATCH) take. */
static int
mock_keys_apply(struct mock_pkey *p, json_object *body, int create, const char **why)
{
	json_object *v;
	int64_t limit;

	if (json_object_object_get_ex(body, "name", &v)) {
		if (!json_object_is_type(v, json_type_string) ||
		    json_object_get_string_len(v) == 0 ||
		    json_object_get_string_len(v) > MOCK_KEY_NAME_MAX) {
			*why = "name must be a non-empty string";
			return -1;
		}
		free(p->name);
		p->name = mock_xstrdup(json_object_get_string(v));
	} else if (create) {
		*why = "name is required";
		return -1;
	}
	if (json_object_object_get_ex(body, "limit", &v)) {
		if (mock_keys_limit(v, &limit, why) != 0)
			return -1;
		p->limit_pico = limit;
	}
	if (json_object_object_get_ex(body, "limit_reset", &v) &&
	    mock_keys_reset(v, &p->limit_reset, why) != 0)
		return -1;
	if (json_object_object_get_ex(body, "include_byok_in_limit", &v))
		p->include_byok_in_limit = json_object_get_boolean(v);
	if (!create && json_object_object_get_ex(body, "disabled", &v)) {
		if (!json_object_is_type(v, json_type_boolean)) {
			*why = "disabled must be a boolean";
			return -1;
		}
		p->disabled = json_object_get_boolean(v);
	}
	return 0;
}

static json_object *
mock_keys_body(struct evhttp_request *req)
{
	size_t len;
	const char *text = mock_http_body(req, &len);
	json_object *o = json_tokener_parse(text);

	if (o != NULL && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

static void
mock_keys_create(struct mock_server *srv, struct evhttp_request *req)
{
	struct mock_pkey *p = mock_xcalloc(1, sizeof(*p));
	json_object *body = mock_keys_body(req), *o;
	const char *why = "Invalid JSON body";

	p->limit_pico = -1;
	if (body == NULL || mock_keys_apply(p, body, 1, &why) != 0) {
		mock_http_reply_error(srv, req, 400, why, NULL);
		json_object_put(body);
		free(p->name);
		free(p->limit_reset);
		free(p);
		return;
	}
	json_object_put(body);
	memcpy(p->key, "sk-or-v1-", strlen("sk-or-v1-"));
	mock_keys_hex(p->key + strlen("sk-or-v1-"), MOCK_KEY_HEX);
	mock_keys_hex(p->hash, MOCK_HASH_HEX);
	p->created_ms = mock_wall_ms();
	srv->provisioned->v =
	    mock_xrealloc(srv->provisioned->v, (srv->provisioned->n + 1) * sizeof(p));
	srv->provisioned->v[srv->provisioned->n++] = p;
	srv->provisioned->created++;
	o = json_object_new_object();
	json_object_object_add(o, "data", mock_keys_obj(srv, p));
	json_object_object_add(o, "key", json_object_new_string(p->key));
	mock_http_reply_json(srv, req, 201, o);
}

/* GET /keys?offset=N&include_disabled=true */
static void
mock_keys_list(struct mock_server *srv, struct evhttp_request *req)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL, *v;
	json_object *data = json_object_new_array(), *o;
	long offset = 0, seen = 0;
	int with_disabled = 0;
	struct evkeyvalq q;
	size_t i;

	TAILQ_INIT(&q);
	if (query != NULL && evhttp_parse_query_str(query, &q) == 0) {
		if ((v = evhttp_find_header(&q, "offset")) != NULL)
			offset = strtol(v, NULL, 10);
		if ((v = evhttp_find_header(&q, "include_disabled")) != NULL)
			with_disabled = strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
	}
	evhttp_clear_headers(&q);
	for (i = 0; i < srv->provisioned->n; i++) {
		const struct mock_pkey *p = srv->provisioned->v[i];

		if (p->deleted || (p->disabled && !with_disabled))
			continue;
		if (seen++ < offset || json_object_array_length(data) >= MOCK_KEYS_PAGE)
			continue;
		json_object_array_add(data, mock_keys_obj(srv, p));
	}
	srv->provisioned->listed++;
	o = json_object_new_object();
	json_object_object_add(o, "data", data);
	mock_http_reply_json(srv, req, 200, o);
}

static void
mock_keys_one(struct mock_server *srv, struct evhttp_request *req, const char *hash)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct mock_pkey *p = mock_keys_by_hash(srv, hash);
	const char *why = "Invalid JSON body";
	json_object *body, *o;

	if (p == NULL) {
		mock_http_reply_error(srv, req, 404, "Key not found", NULL);
		return;
	}
	if (cmd == EVHTTP_REQ_PATCH) {
		if ((body = mock_keys_body(req)) == NULL ||
		    mock_keys_apply(p, body, 0, &why) != 0) {
			json_object_put(body);
			mock_http_reply_error(srv, req, 400, why, NULL);
			return;
		}
		json_object_put(body);
		p->updated_ms = mock_wall_ms();
		srv->provisioned->updated++;
	} else if (cmd == EVHTTP_REQ_DELETE) {
		p->deleted = 1;
		srv->provisioned->deleted++;
		o = json_object_new_object();
		json_object_object_add(o, "deleted", json_object_new_boolean(1));
		mock_http_reply_json(srv, req, 200, o);
		return;
	} else if (cmd == EVHTTP_REQ_GET) {
		srv->provisioned->got++;
	} else {
		mock_http_reply_error(srv, req, 405, "Method not allowed", NULL);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "data", mock_keys_obj(srv, p));
	mock_http_reply_json(srv, req, 200, o);
}

void
mock_keys_handle(struct mock_server *srv, struct evhttp_request *req, const char *rest)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const char *key = NULL, *why = NULL;

	if (mock_http_auth(srv, req, &key, &why) != 0) {
		mock_http_reply_error(srv, req, 401, why, NULL);
		return;
	}
	if (!mock_keys_is_management(srv, key)) {
		mock_http_reply_error(
		    srv, req, 403, "Only management keys can perform this operation", NULL);
		return;
	}
	if (*rest == '/')
		rest++;
	if (*rest == '\0' && cmd == EVHTTP_REQ_POST)
		mock_keys_create(srv, req);
	else if (*rest == '\0' && cmd == EVHTTP_REQ_GET)
		mock_keys_list(srv, req);
	else if (*rest == '\0')
		mock_http_reply_error(srv, req, 405, "Method not allowed", NULL);
	else
		mock_keys_one(srv, req, rest);
}

void
mock_keys_handle_key(struct mock_server *srv, struct evhttp_request *req)
{
	const char *key = NULL, *why = NULL;
	struct mock_pkey *p = NULL;
	json_object *d, *o, *v;

	if (mock_http_auth(srv, req, &key, &why) != 0 ||
	    (!mock_keys_is_management(srv, key) && (p = mock_keys_by_key(srv, key)) == NULL)) {
		/* Not ours: the plain answer (or refusal) of mock_records.c. */
		mock_records_handle_key(srv, req);
		return;
	}
	srv->stats.req_key++;
	if (mock_keys_is_management(srv, key)) {
		d = json_object_new_object();
		json_object_object_add(d, "label", json_object_new_string("management key"));
		json_object_object_add(d, "limit", NULL);
		json_object_object_add(d, "limit_remaining", NULL);
		json_object_object_add(d, "limit_reset", NULL);
		json_object_object_add(d, "usage", mock_money_json(0));
	} else {
		/* GET /key describes the key as the management API does. */
		d = mock_keys_obj(srv, p);
		json_object_object_del(d, "hash");
		json_object_object_del(d, "name");
		json_object_object_del(d, "disabled");
	}
	json_object_object_add(d, "is_free_tier", json_object_new_boolean(0));
	v = json_object_new_boolean(mock_keys_is_management(srv, key));
	json_object_object_add(d, "is_management_key", v);
	json_object_object_add(d, "is_provisioning_key", json_object_get(v));
	o = json_object_new_object();
	json_object_object_add(o, "data", d);
	mock_http_reply_json(srv, req, 200, o);
}

/* GET /mock/keys: every key created (full key text: this is a test
 * fixture), and counters. */
void
mock_keys_control(struct mock_server *srv, struct evhttp_request *req)
{
	json_object *o = json_object_new_object(), *data = json_object_new_array(), *c, *e;
	const struct mock_keys *k = srv->provisioned;
	size_t i;

	for (i = 0; i < k->n; i++) {
		e = mock_keys_obj(srv, k->v[i]);
		json_object_object_add(e, "key", json_object_new_string(k->v[i]->key));
		json_object_object_add(e, "deleted", json_object_new_boolean(k->v[i]->deleted));
		json_object_array_add(data, e);
	}
	c = json_object_new_object();
	json_object_object_add(c, "created", json_object_new_int64((int64_t)k->created));
	json_object_object_add(c, "listed", json_object_new_int64((int64_t)k->listed));
	json_object_object_add(c, "got", json_object_new_int64((int64_t)k->got));
	json_object_object_add(c, "updated", json_object_new_int64((int64_t)k->updated));
	json_object_object_add(c, "deleted", json_object_new_int64((int64_t)k->deleted));
	json_object_object_add(
	    c, "refused_limit", json_object_new_int64((int64_t)k->refused_limit));
	json_object_object_add(
	    c, "refused_disabled", json_object_new_int64((int64_t)k->refused_disabled));
	json_object_object_add(o, "data", data);
	json_object_object_add(o, "counts", c);
	mock_http_reply_json(srv, req, 200, o);
}
