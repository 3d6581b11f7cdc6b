/*
 * chat.c: admission of a chat completion. Everything a request asks for is
 * checked against the caller's rule before a byte goes upstream: the cost
 * centre, every model it could reach (model and the fallback list models),
 * the max_tokens cap and the rate limits. Then the body is rewritten with the
 * broker's own `user` field and sent with the cost centre's key.
 */
#include "config.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sys/queue.h>
#include <json-c/json.h>
#include <stdio.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/util.h"
#include "config/policy.h"
#include "keys/keystore.h"
#include "orad/exchange.h"
#include "orad/handlers.h"
#include "orad/orad.h"
#include "orad/peers.h"
#include "orad/reply.h"

#define COST_CENTRE_HEADER "X-Ora-Cost-Centre"
#define MAX_HEADERS 8

/* Header names close enough to ours that a caller who sent one meant ours;
 * refusing them beats silently billing the default cost centre. */
static const char *const centre_header_lookalikes[] = {
	"X-Ora-Cost-Center", "X-Ora-CostCentre", "X-Ora-CostCenter", "X-Ora-Cost_Centre",
	"X-Ora-Centre", "X-Ora-Center", "X-Cost-Centre", "X-Cost-Center",
};

/* Fields that can make the upstream pick a model we did not check. */
static const char *const forbidden_fields[] = { "preset" };

static int
pick_centre(struct evhttp_request *req, const struct orad_caller *caller,
    const struct ora_cost_centre **out)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *name = NULL;
	struct evkeyval *h;
	int seen = 0;

	TAILQ_FOREACH(h, in, next) {
		if (strcasecmp(h->key, COST_CENTRE_HEADER) == 0) {
			name = h->value;
			seen++;
			continue;
		}
		for (size_t i = 0; i < sizeof(centre_header_lookalikes) / sizeof(char *); i++) {
			if (strcasecmp(h->key, centre_header_lookalikes[i]) == 0) {
				reply_error(req, 400, ORA_ERR_BAD_REQUEST,
				    "header %s is not understood; to choose a cost centre send "
				    COST_CENTRE_HEADER ": NAME", h->key);
				return -1;
			}
		}
	}
	if (seen > 1) {
		reply_error(req, 400, ORA_ERR_BAD_REQUEST,
		    COST_CENTRE_HEADER " was sent %d times; send it once", seen);
		return -1;
	}
	if ((*out = ora_policy_centre(caller->rule, name)) != NULL)
		return 0;

	char granted[1024] = "";
	for (size_t i = 0; i < caller->rule->n_centres; i++) {
		if (i > 0)
			strncat(granted, ", ", sizeof(granted) - strlen(granted) - 1);
		strncat(granted, caller->rule->centres[i]->name, sizeof(granted) - strlen(granted) - 1);
	}
	reply_error(req, 403, ORA_ERR_CENTRE_NOT_ALLOWED,
	    "cost centre '%s' is not granted to you (user %s); you may use: %s; to be granted "
	    "another, ask %s",
	    name, caller->id.user, granted, caller->conf->contact ? caller->conf->contact : "your administrator");
	return -1;
}

static int
check_model(struct evhttp_request *req, const struct orad_caller *caller,
    const struct ora_cost_centre *cc, const char *field, const char *model)
{
	char allowed[2048];

	if (ora_policy_model_allowed(caller->rule, cc, model) != NULL)
		return 0;
	ora_policy_describe_models(caller->rule, cc, allowed, sizeof(allowed));
	reply_error(req, 403, ORA_ERR_MODEL_NOT_ALLOWED,
	    "model '%s' (in \"%s\") is not allowed for you (user %s, role %s, cost centre %s); "
	    "allowed: %s",
	    model, field, caller->id.user, caller->rule->role->name, cc->name, allowed);
	return -1;
}

/* Checks and rewrites the model fields. Returns the model, or NULL after
 * answering the client. */
static const char *
admit_models(struct evhttp_request *req, const struct orad_caller *caller,
    const struct ora_cost_centre *cc, struct json_object *body)
{
	struct json_object *model, *models;
	const struct ora_role *role = caller->rule->role;

	if (!json_object_object_get_ex(body, "model", &model) || json_object_is_type(model, json_type_null)) {
		model = json_object_new_string(role->default_model);
		json_object_object_add(body, "model", model);
	} else if (!json_object_is_type(model, json_type_string) || json_object_get_string_len(model) == 0) {
		reply_error(req, 400, ORA_ERR_BAD_REQUEST,
		    "\"model\" must be a model id such as \"%s\"", role->default_model);
		return NULL;
	}
	if (check_model(req, caller, cc, "model", json_object_get_string(model)) != 0)
		return NULL;
	if (json_object_object_get_ex(body, "models", &models) && !json_object_is_type(models, json_type_null)) {
		if (!json_object_is_type(models, json_type_array)) {
			reply_error(req, 400, ORA_ERR_BAD_REQUEST, "\"models\" must be an array of model ids");
			return NULL;
		}
		for (size_t i = 0; i < json_object_array_length(models); i++) {
			struct json_object *m = json_object_array_get_idx(models, i);
			if (!json_object_is_type(m, json_type_string)) {
				reply_error(req, 400, ORA_ERR_BAD_REQUEST,
				    "\"models\"[%zu] must be a model id string", i);
				return NULL;
			}
			if (check_model(req, caller, cc, "models", json_object_get_string(m)) != 0)
				return NULL;
		}
	}
	return json_object_get_string(model);
}

static int
admit_max_tokens(struct evhttp_request *req, const struct ora_role *role, struct json_object *body)
{
	static const char *const fields[] = { "max_tokens", "max_completion_tokens" };
	int present = 0;

	for (size_t i = 0; i < 2; i++) {
		struct json_object *v;
		if (!json_object_object_get_ex(body, fields[i], &v) || json_object_is_type(v, json_type_null))
			continue;
		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) <= 0) {
			reply_error(req, 400, ORA_ERR_BAD_REQUEST, "\"%s\" must be a positive integer", fields[i]);
			return -1;
		}
		present = 1;
		/* Above the cap is lowered to the cap rather than refused: SDKs
		 * often send a large default, and the cap is what policy wants. */
		if (role->max_tokens > 0 && json_object_get_int64(v) > role->max_tokens)
			json_object_object_add(body, fields[i], json_object_new_int64(role->max_tokens));
	}
	if (!present && role->max_tokens > 0)
		json_object_object_add(body, "max_tokens", json_object_new_int64(role->max_tokens));
	return 0;
}

static int
admit_limits(struct orad *d, struct evhttp_request *req, const struct orad_caller *caller)
{
	const struct ora_role *role = caller->rule->role;
	struct orad_user_state *u = peers_user(d->peers, caller->id.uid);
	long retry_after = 1;
	char seconds[32];

	if (role->concurrent_requests > 0 && u->in_flight >= role->concurrent_requests) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
		reply_error(req, 429, ORA_ERR_RATE_LIMITED,
		    "you already have %ld requests in progress and role %s allows %ld at once; "
		    "wait for one to finish",
		    u->in_flight, role->name, role->concurrent_requests);
		return -1;
	}
	if (peers_rate_take(u, role->requests_per_minute, ora_now_us(), &retry_after) != 0) {
		snprintf(seconds, sizeof(seconds), "%ld", retry_after);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", seconds);
		reply_error(req, 429, ORA_ERR_RATE_LIMITED,
		    "role %s allows %ld requests per minute; try again in %ld s", role->name,
		    role->requests_per_minute, retry_after);
		return -1;
	}
	return 0;
}

static void
set_user_field(struct orad *d, const struct orad_caller *caller, struct json_object *body)
{
	const struct ora_upstream_conf *up = &caller->conf->upstream;
	const char *prefix = up->user_prefix != NULL ? up->user_prefix : "";
	char *value = NULL;

	switch (up->user_field) {
	case ORA_USER_FIELD_NONE:
		json_object_object_del(body, "user");
		return;
	case ORA_USER_FIELD_UID:
		value = ora_xasprintf("%s%u", prefix, (unsigned)caller->id.uid);
		break;
	case ORA_USER_FIELD_HASH: {
		unsigned char h[8];
		char hex[sizeof(h) * 2 + 1];
		crypto_generichash(h, sizeof(h), (const unsigned char *)caller->id.user,
		    strlen(caller->id.user), d->pseudonym_key, sizeof(d->pseudonym_key));
		sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
		value = ora_xasprintf("%s%s", prefix, hex);
		break;
	}
	case ORA_USER_FIELD_NAME:
	default:
		value = ora_xasprintf("%s%s", prefix, caller->id.user);
		break;
	}
	json_object_object_add(body, "user", json_object_new_string(value));
	free(value);
}

static struct json_object *
parse_body(struct evhttp_request *req, long max_body)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	struct json_tokener *tok;
	struct json_object *body;

	if ((long)len > max_body) {
		reply_error(req, 413, ORA_ERR_TOO_LARGE,
		    "request body is %zu bytes; this broker accepts at most %ld (daemon.max_body_bytes)",
		    len, max_body);
		return NULL;
	}
	if (len == 0) {
		reply_error(req, 400, ORA_ERR_BAD_REQUEST,
		    "empty request body; send a JSON object with \"messages\"");
		return NULL;
	}
	tok = json_tokener_new();
	body = json_tokener_parse_ex(tok, (const char *)evbuffer_pullup(in, -1), (int)len);
	if (body == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    (size_t)json_tokener_get_parse_end(tok) != len) {
		enum json_tokener_error e = json_tokener_get_error(tok);
		reply_error(req, 400, ORA_ERR_BAD_REQUEST,
		    "request body is not valid JSON (%s near byte %zu); send a JSON object with "
		    "\"messages\"",
		    e == json_tokener_success ? "trailing data after the object"
		    : e == json_tokener_continue ? "unexpected end of input"
		    : json_tokener_error_desc(e),
		    json_tokener_get_parse_end(tok));
		json_object_put(body);
		body = NULL;
	} else if (!json_object_is_type(body, json_type_object)) {
		reply_error(req, 400, ORA_ERR_BAD_REQUEST,
		    "request body must be a JSON object with \"messages\"");
		json_object_put(body);
		body = NULL;
	}
	json_tokener_free(tok);
	return body;
}

static int
check_shape(struct evhttp_request *req, struct json_object *body, int *stream)
{
	struct json_object *v;

	if (!json_object_object_get_ex(body, "messages", &v) || !json_object_is_type(v, json_type_array) ||
	    json_object_array_length(v) == 0) {
		reply_error(req, 400, ORA_ERR_BAD_REQUEST,
		    "\"messages\" must be a non-empty array, e.g. "
		    "[{\"role\":\"user\",\"content\":\"Hello\"}]");
		return -1;
	}
	for (size_t i = 0; i < sizeof(forbidden_fields) / sizeof(char *); i++) {
		if (json_object_object_get_ex(body, forbidden_fields[i], NULL)) {
			reply_error(req, 400, ORA_ERR_BAD_REQUEST,
			    "\"%s\" is not accepted through this broker: it could select models "
			    "that policy has not checked; name the model instead",
			    forbidden_fields[i]);
			return -1;
		}
	}
	*stream = 0;
	if (json_object_object_get_ex(body, "stream", &v) && !json_object_is_type(v, json_type_null)) {
		if (!json_object_is_type(v, json_type_boolean)) {
			reply_error(req, 400, ORA_ERR_BAD_REQUEST, "\"stream\" must be true or false");
			return -1;
		}
		*stream = json_object_get_boolean(v);
	}
	return 0;
}

/* Builds the upstream headers; the Authorization line is built in locked
 * memory and wiped as soon as libcurl has its copy. */
static void
start_upstream(struct orad *d, struct orad_exchange *x, const char *body, size_t body_len)
{
	const struct ora_conf *conf = x->caller.conf;
	const struct ora_secret *key = ora_keyring_get(d->keys, x->centre->key);
	const char *title = x->centre->title != NULL ? x->centre->title : conf->upstream.title;
	const char *headers[MAX_HEADERS];
	char *referer = NULL, *xtitle = NULL, *ortitle = NULL, *url;
	size_t n = 0, auth_len;
	char *auth;

	auth_len = sizeof("Authorization: Bearer ") + ora_secret_len(key);
	auth = sodium_malloc(auth_len);
	memcpy(auth, "Authorization: Bearer ", sizeof("Authorization: Bearer ") - 1);
	memcpy(auth + sizeof("Authorization: Bearer ") - 1, ora_secret_data(key), ora_secret_len(key));
	auth[auth_len - 1] = '\0';
	headers[n++] = auth;
	headers[n++] = "Content-Type: application/json";
	if (x->stream)
		headers[n++] = "Accept: text/event-stream";
	if (conf->upstream.referer != NULL)
		headers[n++] = referer = ora_xasprintf("HTTP-Referer: %s", conf->upstream.referer);
	if (title != NULL) {
		headers[n++] = xtitle = ora_xasprintf("X-Title: %s", title);
		headers[n++] = ortitle = ora_xasprintf("X-OpenRouter-Title: %s", title);
	}
	url = ora_xasprintf("%s/chat/completions", conf->upstream.base_url);
	relay_start(x, url, headers, n, body, body_len);
	sodium_free(auth);
	free(referer);
	free(xtitle);
	free(ortitle);
	free(url);
}

void
chat_handle(struct orad *d, struct evhttp_request *req, struct orad_caller *caller)
{
	struct json_object *body = NULL;
	const struct ora_cost_centre *cc;
	const char *model;
	int stream;

	if (pick_centre(req, caller, &cc) != 0)
		goto out;
	if ((body = parse_body(req, caller->conf->daemon.max_body_bytes)) == NULL)
		goto out;
	if (check_shape(req, body, &stream) != 0)
		goto out;
	if ((model = admit_models(req, caller, cc, body)) == NULL)
		goto out;
	if (admit_max_tokens(req, caller->rule->role, body) != 0)
		goto out;
	if (ora_keyring_get(d->keys, cc->key) == NULL) {
		ora_log_error("cost centre %s names key %s, which is not loaded", cc->name, cc->key);
		reply_error(req, 500, ORA_ERR_INTERNAL,
		    "the broker has no key for cost centre %s; tell %s", cc->name,
		    caller->conf->contact ? caller->conf->contact : "your administrator");
		goto out;
	}
	if (admit_limits(d, req, caller) != 0)
		goto out;
	set_user_field(d, caller, body);
	/* Usage accounting on every request: the cost it reports is the truth. */
	struct json_object *usage = json_object_new_object();
	json_object_object_add(usage, "include", json_object_new_boolean(1));
	json_object_object_add(body, "usage", usage);

	struct orad_exchange *x = ora_xcalloc(1, sizeof(*x));
	x->d = d;
	x->req = req;
	x->caller = *caller;
	memset(caller, 0, sizeof(*caller)); /* the exchange owns it now */
	x->centre = cc;
	x->model = ora_xstrdup(model);
	x->stream = stream;
	x->started_us = ora_now_us();
	x->outcome = "ok";
	peers_user(d->peers, x->caller.id.uid)->in_flight++;
	d->in_flight++;
	d->requests_total++;

	size_t len;
	const char *text = json_object_to_json_string_length(body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	start_upstream(d, x, text, len);
out:
	json_object_put(body);
	caller_clear(caller);
}
