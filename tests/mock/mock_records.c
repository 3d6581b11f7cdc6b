/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * mock_records.c: what the mock billed (the truth ora's ledger is compared
 * with), per-key usage for GET /key, GET /generation, and the log of the
 * last chat requests as received.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sys/queue.h>

#include <event2/keyvalq_struct.h>

#include "mock.h"

struct mock_record {
	char *id;
	char *key;
	char *model_requested;
	json_object *models;
	char *model;
	const char *endpoint; /* the shape's static name */
	int stream;
	int64_t prompt_tokens;
	int64_t completion_tokens;
	int64_t cost;
	enum mock_gen_status status;
	char *finish_reason;
	char *user, *referer, *x_title, *x_openrouter_title;
	int64_t created_ms;
	int64_t completed_ms;
	uint64_t completed_us;
	int64_t latency_ms;
	int64_t generation_time_ms;
};

struct mock_records {
	struct mock_record **v;
	size_t n, cap;
	struct mock_map *by_id;
	struct mock_map *usage; /* key -> int64_t picodollars */
	int64_t total;
	json_object *log[MOCK_REQUEST_LOG_MAX];
	size_t log_next, log_n;
};

static const char *const mock_status_names[] = {"complete", "cancelled", "error", "cut"};

struct mock_records *
mock_records_new(void)
{
	struct mock_records *r = mock_xcalloc(1, sizeof(*r));

	r->by_id = mock_map_new();
	r->usage = mock_map_new();
	return r;
}

static void
mock_record_free(struct mock_record *rec)
{
	free(rec->id);
	free(rec->key);
	free(rec->model_requested);
	json_object_put(rec->models);
	free(rec->model);
	free(rec->finish_reason);
	free(rec->user);
	free(rec->referer);
	free(rec->x_title);
	free(rec->x_openrouter_title);
	free(rec);
}

void
mock_records_clear(struct mock_records *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		mock_record_free(r->v[i]);
	r->n = 0;
	r->total = 0;
	mock_map_clear(r->by_id, NULL);
	mock_map_clear(r->usage, free);
	for (i = 0; i < MOCK_REQUEST_LOG_MAX; i++) {
		json_object_put(r->log[i]);
		r->log[i] = NULL;
	}
	r->log_next = r->log_n = 0;
}

void
mock_records_free(struct mock_records *r)
{
	if (r == NULL)
		return;
	mock_records_clear(r);
	free(r->v);
	mock_map_free(r->by_id, NULL);
	mock_map_free(r->usage, free);
	free(r);
}

void
mock_records_add(struct mock_server *srv, const struct mock_gen *gen, enum mock_gen_status status,
    size_t completion_tokens, const char *finish_reason)
{
	struct mock_records *r = srv->records;
	struct mock_record *rec = mock_xcalloc(1, sizeof(*rec));
	int64_t *usage;
	uint64_t now = mock_now_us();

	rec->id = mock_xstrdup(gen->id);
	rec->key = mock_xstrdup(gen->key);
	rec->model_requested = mock_xstrdup(gen->model_requested);
	rec->models = json_object_get(gen->models);
	rec->model = mock_xstrdup(gen->model->id);
	rec->stream = gen->stream;
	rec->endpoint = gen->shape->name;
	rec->prompt_tokens = gen->prompt_tokens;
	rec->completion_tokens = (int64_t)completion_tokens;
	rec->cost = mock_wire_cost(gen, completion_tokens);
	rec->status = status;
	rec->finish_reason = mock_xstrdup(finish_reason);
	rec->user = mock_xstrdup(gen->user);
	rec->referer = mock_xstrdup(gen->referer);
	rec->x_title = mock_xstrdup(gen->x_title);
	rec->x_openrouter_title = mock_xstrdup(gen->x_openrouter_title);
	rec->created_ms = gen->start_wall_ms;
	rec->completed_ms = mock_wall_ms();
	rec->completed_us = now;
	rec->generation_time_ms = (int64_t)((now - gen->start_us) / 1000);
	rec->latency_ms = gen->first_token_us != 0
	                      ? (int64_t)((gen->first_token_us - gen->start_us) / 1000)
	                      : rec->generation_time_ms;
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 256;
		r->v = mock_xrealloc(r->v, r->cap * sizeof(*r->v));
	}
	r->v[r->n++] = rec;
	mock_map_put(r->by_id, rec->id, strlen(rec->id), rec);
	usage = mock_map_get(r->usage, rec->key, strlen(rec->key));
	if (usage == NULL) {
		usage = mock_xcalloc(1, sizeof(*usage));
		mock_map_put(r->usage, rec->key, strlen(rec->key), usage);
	}
	*usage += rec->cost;
	r->total += rec->cost;
}

static json_object *
mock_jstr(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

static const char *
mock_record_title(const struct mock_record *rec)
{
	return rec->x_openrouter_title != NULL ? rec->x_openrouter_title : rec->x_title;
}

static json_object *
mock_record_json(const struct mock_record *rec)
{
	json_object *o = json_object_new_object();
	char iso[40];

	mock_iso8601(rec->created_ms, iso, sizeof(iso));
	json_object_object_add(o, "id", json_object_new_string(rec->id));
	json_object_object_add(o, "key", json_object_new_string(rec->key));
	json_object_object_add(o, "model_requested", mock_jstr(rec->model_requested));
	json_object_object_add(o, "models", json_object_get(rec->models));
	json_object_object_add(o, "model", json_object_new_string(rec->model));
	json_object_object_add(o, "endpoint", json_object_new_string(rec->endpoint));
	json_object_object_add(o, "stream", json_object_new_boolean(rec->stream));
	json_object_object_add(o, "prompt_tokens", json_object_new_int64(rec->prompt_tokens));
	json_object_object_add(
	    o, "completion_tokens", json_object_new_int64(rec->completion_tokens));
	json_object_object_add(
	    o, "total_tokens", json_object_new_int64(rec->prompt_tokens + rec->completion_tokens));
	json_object_object_add(o, "cost", mock_money_json(rec->cost));
	json_object_object_add(o, "cost_picodollars", json_object_new_int64(rec->cost));
	json_object_object_add(o, "charged", json_object_new_boolean(rec->completion_tokens > 0));
	json_object_object_add(o, "status", json_object_new_string(mock_status_names[rec->status]));
	json_object_object_add(o, "finish_reason", mock_jstr(rec->finish_reason));
	json_object_object_add(o, "user", mock_jstr(rec->user));
	json_object_object_add(o, "referer", mock_jstr(rec->referer));
	json_object_object_add(o, "title", mock_jstr(mock_record_title(rec)));
	json_object_object_add(o, "x_title", mock_jstr(rec->x_title));
	json_object_object_add(o, "x_openrouter_title", mock_jstr(rec->x_openrouter_title));
	json_object_object_add(o, "created_at", json_object_new_string(iso));
	json_object_object_add(o, "created_ms", json_object_new_int64(rec->created_ms));
	json_object_object_add(o, "completed_ms", json_object_new_int64(rec->completed_ms));
	return o;
}

json_object *
mock_records_generations_json(const struct mock_records *r, int summary)
{
	json_object *o = json_object_new_object();
	char total[MOCK_MONEY_STRLEN];
	size_t i;

	if (!summary) {
		json_object *a = json_object_new_array_ext((int)r->n);

		for (i = 0; i < r->n; i++)
			json_object_array_add(a, mock_record_json(r->v[i]));
		json_object_object_add(o, "data", a);
	}
	mock_money_format(r->total, total, sizeof(total));
	json_object_object_add(o, "count", json_object_new_int64((int64_t)r->n));
	json_object_object_add(o, "total_cost", json_object_new_string(total));
	json_object_object_add(o, "total_cost_picodollars", json_object_new_int64(r->total));
	return o;
}

void
mock_records_log_request(struct mock_records *r, json_object *entry)
{
	json_object_put(r->log[r->log_next]);
	r->log[r->log_next] = entry;
	r->log_next = (r->log_next + 1) % MOCK_REQUEST_LOG_MAX;
	if (r->log_n < MOCK_REQUEST_LOG_MAX)
		r->log_n++;
}

json_object *
mock_records_requests_json(const struct mock_records *r)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	size_t i, first = (r->log_next + MOCK_REQUEST_LOG_MAX - r->log_n) % MOCK_REQUEST_LOG_MAX;

	for (i = 0; i < r->log_n; i++)
		json_object_array_add(
		    a, json_object_get(r->log[(first + i) % MOCK_REQUEST_LOG_MAX]));
	json_object_object_add(o, "data", a);
	return o;
}

/* "sk-or-v1-abc...xyz", as OpenRouter labels a key. */
static char *
mock_records_mask(const char *key)
{
	size_t len = strlen(key), head = strlen("sk-or-v1-") + 3;

	if (len <= head + 3)
		return mock_xstrdup(key);
	return mock_xasprintf("%.*s...%s", (int)head, key, key + len - 3);
}

int64_t
mock_records_usage(const struct mock_records *r, const char *key)
{
	const int64_t *usage = mock_map_get(r->usage, key, strlen(key));

	return usage != NULL ? *usage : 0;
}

void
mock_records_handle_key(struct mock_server *srv, struct evhttp_request *req)
{
	json_object *d, *o;
	const char *key, *why;
	const int64_t *usage;
	char *label;

	srv->stats.req_key++;
	if (mock_http_auth(srv, req, &key, &why) != 0) {
		mock_http_reply_error(srv, req, 401, why, NULL);
		return;
	}
	usage = mock_map_get(srv->records->usage, key, strlen(key));
	label = mock_records_mask(key);
	d = json_object_new_object();
	json_object_object_add(d, "label", json_object_new_string(label));
	free(label);
	json_object_object_add(d, "limit", NULL);
	json_object_object_add(d, "limit_remaining", NULL);
	json_object_object_add(d, "limit_reset", NULL);
	/* The mock lives for one test run: every window holds all of it. */
	json_object_object_add(d, "usage", mock_money_json(usage ? *usage : 0));
	json_object_object_add(d, "usage_daily", mock_money_json(usage ? *usage : 0));
	json_object_object_add(d, "usage_weekly", mock_money_json(usage ? *usage : 0));
	json_object_object_add(d, "usage_monthly", mock_money_json(usage ? *usage : 0));
	json_object_object_add(d, "is_free_tier", json_object_new_boolean(0));
	json_object_object_add(d, "is_management_key", json_object_new_boolean(0));
	json_object_object_add(d, "is_provisioning_key", json_object_new_boolean(0));
	json_object_object_add(d, "expires_at", NULL);
	o = json_object_new_object();
	json_object_object_add(o, "data", d);
	mock_http_reply_json(srv, req, 200, o);
}

static json_object *
mock_record_generation_json(const struct mock_record *rec)
{
	json_object *d = json_object_new_object(), *o = json_object_new_object();
	char iso[40];

	mock_iso8601(rec->created_ms, iso, sizeof(iso));
	json_object_object_add(d, "id", json_object_new_string(rec->id));
	json_object_object_add(d, "upstream_id", json_object_new_string(rec->id));
	json_object_object_add(d, "total_cost", mock_money_json(rec->cost));
	json_object_object_add(d, "usage", mock_money_json(rec->cost));
	json_object_object_add(d, "is_byok", json_object_new_boolean(0));
	json_object_object_add(d, "created_at", json_object_new_string(iso));
	json_object_object_add(d, "model", json_object_new_string(rec->model));
	json_object_object_add(d, "app_id", NULL);
	json_object_object_add(d, "app_title", mock_jstr(mock_record_title(rec)));
	json_object_object_add(d, "streamed", json_object_new_boolean(rec->stream));
	json_object_object_add(
	    d, "cancelled", json_object_new_boolean(rec->status == MOCK_GEN_CANCELLED));
	json_object_object_add(d, "provider_name", json_object_new_string(MOCK_PROVIDER));
	json_object_object_add(d, "latency", json_object_new_int64(rec->latency_ms));
	json_object_object_add(d, "moderation_latency", NULL);
	json_object_object_add(
	    d, "generation_time", json_object_new_int64(rec->generation_time_ms));
	json_object_object_add(d, "finish_reason", mock_jstr(rec->finish_reason));
	json_object_object_add(d, "native_finish_reason", mock_jstr(rec->finish_reason));
	json_object_object_add(d, "tokens_prompt", json_object_new_int64(rec->prompt_tokens));
	json_object_object_add(
	    d, "tokens_completion", json_object_new_int64(rec->completion_tokens));
	json_object_object_add(
	    d, "native_tokens_prompt", json_object_new_int64(rec->prompt_tokens));
	json_object_object_add(
	    d, "native_tokens_completion", json_object_new_int64(rec->completion_tokens));
	json_object_object_add(d, "native_tokens_reasoning", json_object_new_int(0));
	json_object_object_add(d, "native_tokens_cached", json_object_new_int(0));
	json_object_object_add(d, "num_media_prompt", NULL);
	json_object_object_add(d, "num_media_completion", NULL);
	json_object_object_add(d, "num_search_results", NULL);
	json_object_object_add(d, "origin", mock_jstr(rec->referer));
	json_object_object_add(d, "http_referer", mock_jstr(rec->referer));
	json_object_object_add(d, "external_user", mock_jstr(rec->user));
	json_object_object_add(o, "data", d);
	return o;
}

void
mock_records_handle_generation(struct mock_server *srv, struct evhttp_request *req)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	const char *key, *why, *id = NULL;
	const struct mock_record *rec = NULL;
	struct evkeyvalq q;

	srv->stats.req_generation++;
	if (mock_http_auth(srv, req, &key, &why) != 0) {
		mock_http_reply_error(srv, req, 401, why, NULL);
		return;
	}
	TAILQ_INIT(&q);
	if (query != NULL && evhttp_parse_query_str(query, &q) == 0)
		id = evhttp_find_header(&q, "id");
	if (id == NULL || *id == '\0') {
		mock_http_reply_error(srv, req, 400, "Missing generation id", NULL);
		evhttp_clear_headers(&q);
		return;
	}
	rec = mock_map_get(srv->records->by_id, id, strlen(id));
	evhttp_clear_headers(&q);
	/* Only the key that made it may read it, and (like OpenRouter) not
	 * until a moment after it ended. */
	if (rec == NULL || strcmp(rec->key, key) != 0 ||
	    mock_now_us() < rec->completed_us + (uint64_t)srv->generation_delay_ms * 1000u) {
		mock_http_reply_error(srv, req, 404, "Generation not found", NULL);
		return;
	}
	mock_http_reply_json(srv, req, 200, mock_record_generation_json(rec));
}
