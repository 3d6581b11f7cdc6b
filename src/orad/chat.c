/*
 * chat.c: admission of a chat completion. Everything a request asks for is
 * checked against the caller's rule before a byte goes upstream: the cost
 * centre, every model it could reach (model and the fallback list models),
 * the max_tokens cap and the rate limits. Then the body is rewritten with the
 * broker's own `user` field and sent with the cost centre's key.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/util.h"
#include "config/policy.h"
#include "keys/keystore.h"
#include "ledger/ledger.h"
#include "orad/budget.h"
#include "orad/estimate.h"
#include "orad/exchange.h"
#include "orad/journal.h"
#include "orad/metrics.h"
#include "orad/upstream.h"
#include "orad/handlers.h"
#include "orad/http_conn.h"
#include "orad/orad.h"
#include "orad/peers.h"
#include "orad/reply.h"

#define COST_CENTRE_HEADER "X-Ora-Cost-Centre"

/* Header names close enough to ours that a caller who sent one meant ours;
 * refusing them beats silently billing the default cost centre. */
static const char *const centre_header_lookalikes[] = {
	"X-Ora-Cost-Center", "X-Ora-CostCentre", "X-Ora-CostCenter", "X-Ora-Cost_Centre",
	"X-Ora-Centre", "X-Ora-Center", "X-Cost-Centre", "X-Cost-Center",
};

/* Fields that can make the upstream pick a model we did not check. */
static const char *const forbidden_fields[] = { "preset" };

/* One request being admitted. */
struct admission {
	struct orad *d;
	struct http_req *req;
	struct orad_caller *caller;
	const struct ora_cost_centre *cc; /* NULL until chosen */
	const char *model;                /* NULL until known */
	int stream;
	int64_t started_ms;
};

/* Fill the parts of a ledger row that describe who asked for what. */
static void
describe_request(const struct admission *a, struct ora_ledger_entry *e, char *match, size_t match_size)
{
	const struct orad_caller *c = a->caller;

	memset(e, 0, sizeof(*e));
	e->started_ms = a->started_ms;
	e->uid = (uint32_t)c->id.uid;
	e->user = c->id.user;
	if (c->rule != NULL) {
		e->rule_line = c->rule->line;
		e->rule_match = ora_policy_rule_match(c->rule, match, match_size);
		e->role = c->rule->role->name;
	}
	if (a->cc != NULL) {
		e->cost_centre = a->cc->name;
		e->key_name = a->cc->key;
	}
	e->model_requested = a->model;
	e->stream = a->stream;
	e->client_pid = (int32_t)c->id.pid;
	e->client_exe = peers_conn_comm(c->conn);
}

/* Answer an error and record the refusal in the ledger, with its reason. */
static void __attribute__((format(printf, 4, 5)))
refuse(const struct admission *a, int status, const char *type, const char *fmt, ...)
{
	char message[2048], match[ORA_NAME_MAX + 16];
	struct ora_ledger_entry e;
	struct ora_error err;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	reply_error(a->req, status, type, "%s", message);
	ora_log_info("refused uid=%u user=%s status=%d type=%s", (unsigned)a->caller->id.uid,
	    a->caller->id.user, status, type);
	if (a->d->ledger == NULL)
		return;
	describe_request(a, &e, match, sizeof(match));
	e.http_status = status;
	e.outcome = type;
	e.reason = message;
	if (ora_ledger_refuse(a->d->ledger, &e, &err) != 0)
		ora_log_error("%s", err.msg);
	journal_touch(a->d);
}

static int
pick_centre(struct admission *a)
{
	const struct ora_rule *rule = a->caller->rule;
	const char *name = NULL, *key, *value;
	int seen = 0;

	for (size_t n = 0; http_req_header_at(a->req, n, &key, &value); n++) {
		if (strcasecmp(key, COST_CENTRE_HEADER) == 0) {
			name = value;
			seen++;
			continue;
		}
		for (size_t i = 0; i < sizeof(centre_header_lookalikes) / sizeof(char *); i++) {
			if (strcasecmp(key, centre_header_lookalikes[i]) == 0) {
				refuse(a, 400, ORA_ERR_BAD_REQUEST,
				    "header %s is not understood; to choose a cost centre send "
				    COST_CENTRE_HEADER ": NAME", key);
				return -1;
			}
		}
	}
	if (seen > 1) {
		refuse(a, 400, ORA_ERR_BAD_REQUEST, COST_CENTRE_HEADER " was sent %d times; send it once",
		    seen);
		return -1;
	}
	if ((a->cc = ora_policy_centre(rule, name)) != NULL)
		return 0;

	char granted[1024] = "";
	for (size_t i = 0; i < rule->n_centres; i++) {
		if (i > 0)
			strncat(granted, ", ", sizeof(granted) - strlen(granted) - 1);
		strncat(granted, rule->centres[i]->name, sizeof(granted) - strlen(granted) - 1);
	}
	refuse(a, 403, ORA_ERR_CENTRE_NOT_ALLOWED,
	    "cost centre '%s' is not granted to you (user %s); you may use: %s; to be granted "
	    "another, ask %s",
	    name, a->caller->id.user, granted, a->caller->conf->contact);
	return -1;
}

static int
check_model(struct admission *a, const char *field, const char *model)
{
	const struct orad_caller *c = a->caller;
	char allowed[2048];

	if (ora_policy_model_allowed(c->rule, a->cc, model) != NULL)
		return 0;
	ora_policy_describe_models(c->rule, a->cc, allowed, sizeof(allowed));
	refuse(a, 403, ORA_ERR_MODEL_NOT_ALLOWED,
	    "model '%s' (in \"%s\") is not allowed for you (user %s, role %s, cost centre %s); "
	    "allowed: %s",
	    model, field, c->id.user, c->rule->role->name, a->cc->name, allowed);
	return -1;
}

/* Site aliases (ora.conf `aliases`) become the model they stand for before
 * any policy check, so an alias can never reach a model the role does not
 * allow. */
static void
resolve_alias(struct admission *a, struct json_object *body, const char *field,
    struct json_object **value)
{
	const char *target = ora_conf_alias(a->caller->conf, json_object_get_string(*value));

	if (target == NULL)
		return;
	*value = json_object_new_string(target);
	json_object_object_add(body, field, *value);
}

/* The role's fallback models, as OpenRouter's native `models` list (the
 * requested model first), when the request has no list of its own. Only
 * fallbacks this cost centre allows are added; the list is then checked
 * like any other. */
static void
add_fallbacks(struct admission *a, struct json_object *body)
{
	const struct ora_role *role = a->caller->rule->role;
	struct json_object *models;

	if (role->n_fallbacks == 0 || json_object_object_get_ex(body, "models", NULL))
		return;
	models = json_object_new_array();
	json_object_array_add(models, json_object_new_string(a->model));
	for (size_t i = 0; i < role->n_fallbacks; i++)
		if (strcmp(role->fallbacks[i], a->model) != 0 &&
		    ora_policy_model_allowed(a->caller->rule, a->cc, role->fallbacks[i]) != NULL)
			json_object_array_add(models, json_object_new_string(role->fallbacks[i]));
	if (json_object_array_length(models) > 1)
		json_object_object_add(body, "models", models);
	else
		json_object_put(models);
}

/* Checks and completes the model fields; sets a->model. */
static int
admit_models(struct admission *a, struct json_object *body)
{
	struct json_object *model, *models;
	const struct ora_role *role = a->caller->rule->role;

	if (!json_object_object_get_ex(body, "model", &model) || json_object_is_type(model, json_type_null)) {
		model = json_object_new_string(role->default_model);
		json_object_object_add(body, "model", model);
	} else if (!json_object_is_type(model, json_type_string) || json_object_get_string_len(model) == 0) {
		refuse(a, 400, ORA_ERR_BAD_REQUEST, "\"model\" must be a model id such as \"%s\"",
		    role->default_model);
		return -1;
	}
	resolve_alias(a, body, "model", &model);
	a->model = json_object_get_string(model);
	if (check_model(a, "model", a->model) != 0)
		return -1;
	add_fallbacks(a, body);
	if (json_object_object_get_ex(body, "models", &models) && !json_object_is_type(models, json_type_null)) {
		if (!json_object_is_type(models, json_type_array)) {
			refuse(a, 400, ORA_ERR_BAD_REQUEST, "\"models\" must be an array of model ids");
			return -1;
		}
		for (size_t i = 0; i < json_object_array_length(models); i++) {
			struct json_object *m = json_object_array_get_idx(models, i);
			if (!json_object_is_type(m, json_type_string)) {
				refuse(a, 400, ORA_ERR_BAD_REQUEST, "\"models\"[%zu] must be a model id string", i);
				return -1;
			}
			const char *target = ora_conf_alias(a->caller->conf, json_object_get_string(m));
			if (target != NULL) {
				json_object_array_put_idx(models, i, json_object_new_string(target));
				m = json_object_array_get_idx(models, i);
			}
			if (check_model(a, "models", json_object_get_string(m)) != 0)
				return -1;
		}
	}
	return 0;
}

static int
admit_max_tokens(struct admission *a, struct json_object *body)
{
	static const char *const fields[] = { "max_tokens", "max_completion_tokens" };
	const struct ora_role *role = a->caller->rule->role;
	int present = 0;

	for (size_t i = 0; i < 2; i++) {
		struct json_object *v;
		if (!json_object_object_get_ex(body, fields[i], &v) || json_object_is_type(v, json_type_null))
			continue;
		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) <= 0) {
			refuse(a, 400, ORA_ERR_BAD_REQUEST, "\"%s\" must be a positive integer", fields[i]);
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
admit_limits(struct admission *a)
{
	const struct ora_role *role = a->caller->rule->role;
	struct orad_user_state *u = peers_user(a->d->peers, a->caller->id.uid);
	long retry_after = 1;
	char seconds[32];

	if (role->concurrent_requests > 0 && u->in_flight >= role->concurrent_requests) {
		http_reply_add_header(a->req, "Retry-After", "1");
		refuse(a, 429, ORA_ERR_RATE_LIMITED,
		    "you already have %ld requests in progress and role %s allows %ld at once; "
		    "wait for one to finish",
		    u->in_flight, role->name, role->concurrent_requests);
		return -1;
	}
	if (peers_rate_take(u, role->requests_per_minute, ora_now_us(), &retry_after) != 0) {
		snprintf(seconds, sizeof(seconds), "%ld", retry_after);
		http_reply_add_header(a->req, "Retry-After", seconds);
		refuse(a, 429, ORA_ERR_RATE_LIMITED,
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
parse_body(struct admission *a)
{
	size_t len;
	const char *in = http_req_body(a->req, &len);
	long max_body = a->caller->conf->daemon.max_body_bytes;
	struct json_tokener *tok;
	struct json_object *body;

	if ((long)len > max_body) {
		refuse(a, 413, ORA_ERR_TOO_LARGE,
		    "request body is %zu bytes; this broker accepts at most %ld (daemon.max_body_bytes)",
		    len, max_body);
		return NULL;
	}
	if (len == 0) {
		refuse(a, 400, ORA_ERR_BAD_REQUEST, "empty request body; send a JSON object with \"messages\"");
		return NULL;
	}
	tok = json_tokener_new();
	body = json_tokener_parse_ex(tok, in, (int)len);
	if (body == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    (size_t)json_tokener_get_parse_end(tok) != len) {
		enum json_tokener_error e = json_tokener_get_error(tok);
		refuse(a, 400, ORA_ERR_BAD_REQUEST,
		    "request body is not valid JSON (%s near byte %zu); send a JSON object with "
		    "\"messages\"",
		    e == json_tokener_success ? "trailing data after the object"
		    : e == json_tokener_continue ? "unexpected end of input"
		    : json_tokener_error_desc(e),
		    json_tokener_get_parse_end(tok));
		json_object_put(body);
		body = NULL;
	} else if (!json_object_is_type(body, json_type_object)) {
		refuse(a, 400, ORA_ERR_BAD_REQUEST, "request body must be a JSON object with \"messages\"");
		json_object_put(body);
		body = NULL;
	}
	json_tokener_free(tok);
	return body;
}

static int
check_shape(struct admission *a, struct json_object *body)
{
	struct json_object *v;

	if (!json_object_object_get_ex(body, "messages", &v) || !json_object_is_type(v, json_type_array) ||
	    json_object_array_length(v) == 0) {
		refuse(a, 400, ORA_ERR_BAD_REQUEST,
		    "\"messages\" must be a non-empty array, e.g. "
		    "[{\"role\":\"user\",\"content\":\"Hello\"}]");
		return -1;
	}
	for (size_t i = 0; i < sizeof(forbidden_fields) / sizeof(char *); i++) {
		if (json_object_object_get_ex(body, forbidden_fields[i], NULL)) {
			refuse(a, 400, ORA_ERR_BAD_REQUEST,
			    "\"%s\" is not accepted through this broker: it could select models "
			    "that policy has not checked; name the model instead",
			    forbidden_fields[i]);
			return -1;
		}
	}
	a->stream = 0;
	if (json_object_object_get_ex(body, "stream", &v) && !json_object_is_type(v, json_type_null)) {
		if (!json_object_is_type(v, json_type_boolean)) {
			refuse(a, 400, ORA_ERR_BAD_REQUEST, "\"stream\" must be true or false");
			return -1;
		}
		a->stream = json_object_get_boolean(v);
	}
	return 0;
}

/* Fail fast while the upstream is known to be down (the circuit breaker),
 * or when too many requests already wait on it: a clear answer now beats a
 * pile of requests that will time out. */
static int
admit_upstream(struct admission *a, int *probe)
{
	const struct ora_upstream_conf *up = &a->caller->conf->upstream;
	const struct upstream_health *h = metrics_health(a->d->metrics);
	long retry_after = 1;
	char seconds[32];

	if (upstream_active(a->d->upstream) >= (size_t)up->max_in_flight) {
		http_reply_add_header(a->req, "Retry-After", "1");
		refuse(a, 503, ORA_ERR_UPSTREAM_BUSY,
		    "the broker already has %ld requests waiting on the upstream "
		    "(upstream.max_in_flight); try again in a moment",
		    up->max_in_flight);
		return -1;
	}
	if (metrics_circuit_admit(a->d->metrics, &retry_after, probe) != 0) {
		snprintf(seconds, sizeof(seconds), "%ld", retry_after);
		http_reply_add_header(a->req, "Retry-After", seconds);
		refuse(a, 503, ORA_ERR_UPSTREAM_DOWN,
		    "the upstream (%s) is failing: %u failures in a row, the last: %s; requests are "
		    "held back for %ld s before the next probe",
		    up->base_url, h->consecutive_failures, h->last_failure, retry_after);
		return -1;
	}
	return 0;
}

/* Reserve the request's upper-bound cost against its budgets. */
static int
admit_budgets(struct admission *a, struct json_object *body, size_t body_len,
    struct budget_hold *hold, ora_pico *estimate)
{
	struct budget_subject subject;
	char why[1024], warning[512];

	*estimate = 0;
	memset(hold, 0, sizeof(*hold));
	budgets_subject(a->caller->conf, a->caller->rule, a->cc, a->caller->id.user, &subject);
	if (!budgets_any(&subject))
		return 0;
	if (estimate_cost(a->d->catalog, body, body_len, estimate, why, sizeof(why)) != 0) {
		http_reply_add_header(a->req, "Retry-After", "5");
		refuse(a, 503, ORA_ERR_UNAVAILABLE, "%s", why);
		return -1;
	}
	if (budgets_admit(a->d->budgets, &subject, *estimate, time(NULL), hold, why, sizeof(why),
	        warning, sizeof(warning)) != 0) {
		refuse(a, 402, ORA_ERR_BUDGET, "%s", why);
		return -1;
	}
	if (warning[0] != '\0')
		http_reply_add_header(a->req, "X-Ora-Budget-Warning", warning);
	return 0;
}

/* Commit the ledger row before anything goes upstream. */
static int
admit_ledger(struct admission *a, struct json_object *body, ora_pico estimate, int64_t *id)
{
	struct ora_ledger_entry e;
	struct json_object *models = NULL;
	char match[ORA_NAME_MAX + 16];
	struct ora_error err;

	*id = 0;
	if (a->d->ledger == NULL)
		return 0;
	describe_request(a, &e, match, sizeof(match));
	e.reserved = estimate;
	if (json_object_object_get_ex(body, "models", &models) && json_object_is_type(models, json_type_array))
		e.models_requested = json_object_to_json_string_ext(models, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (ora_ledger_admit(a->d->ledger, &e, &err) != 0) {
		ora_log_error("%s", err.msg);
		reply_error(a->req, 503, ORA_ERR_UNAVAILABLE,
		    "the broker cannot record this request in its ledger, so it will not send it; "
		    "tell %s", a->caller->conf->contact);
		return -1;
	}
	*id = e.id;
	return 0;
}

void
chat_handle(struct orad *d, struct http_req *req, struct orad_caller *caller)
{
	struct admission a = { .d = d, .req = req, .caller = caller, .started_ms = ora_wall_ms() };
	struct json_object *body = NULL, *usage;
	struct budget_hold hold = { .n = 0 };
	ora_pico estimate = 0;
	int64_t ledger_id = 0;
	int probe = 0;
	const char *text;
	size_t len;

	if (pick_centre(&a) != 0)
		goto out;
	if ((body = parse_body(&a)) == NULL)
		goto out;
	if (check_shape(&a, body) != 0)
		goto out;
	if (admit_models(&a, body) != 0)
		goto out;
	if (admit_max_tokens(&a, body) != 0)
		goto out;
	if (ora_keyring_get(d->keys, a.cc->key) == NULL) {
		ora_log_error("cost centre %s names key %s, which is not loaded", a.cc->name, a.cc->key);
		refuse(&a, 500, ORA_ERR_INTERNAL, "the broker has no key for cost centre %s; tell %s",
		    a.cc->name, caller->conf->contact);
		goto out;
	}
	if (admit_limits(&a) != 0)
		goto out;
	if (admit_upstream(&a, &probe) != 0)
		goto out;
	set_user_field(d, caller, body);
	/* Usage accounting on every request: the cost it reports is the truth. */
	usage = json_object_new_object();
	json_object_object_add(usage, "include", json_object_new_boolean(1));
	json_object_object_add(body, "usage", usage);
	text = json_object_to_json_string_length(body,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (admit_budgets(&a, body, len, &hold, &estimate) != 0)
		goto release;
	if (admit_ledger(&a, body, estimate, &ledger_id) != 0) {
		budgets_settle(d->budgets, &hold, 0);
		goto release;
	}

	struct orad_exchange *x = ora_xcalloc(1, sizeof(*x));
	x->d = d;
	x->req = req;
	x->caller = *caller;
	memset(caller, 0, sizeof(*caller)); /* the exchange owns it now */
	x->centre = a.cc;
	x->model = ora_xstrdup(a.model);
	x->stream = a.stream;
	x->started_us = ora_now_us();
	x->started_ms = a.started_ms;
	x->ledger_id = ledger_id;
	x->hold = hold;
	x->estimate = estimate;
	x->probe = probe;
	x->outcome = "ok";
	struct orad_user_state *who = peers_user(d->peers, x->caller.id.uid);
	ora_strlcpy(who->name, x->caller.id.user, sizeof(who->name));
	who->in_flight++;
	d->in_flight++;
	d->requests_total++;
	relay_admit(x, ora_xstrdup(text), len);
	goto out;
release:
	if (probe)
		metrics_circuit_release(d->metrics);
out:
	json_object_put(body);
	caller_clear(caller);
}
