/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * admit.h: the door. Admission of a request body as a pure function of
 * (request bytes, caller's rule, role, cost centre and configuration,
 * catalog view) -> decision. It touches no socket, no HTTP request and no
 * global, so it is unit-tested (tests/unit/check_admit*.c) and fuzzed
 * (fuzz/admit-fuzzer.c) without a daemon.
 *
 * Admission is an allowlist: every top-level field of a request is in one
 * class of one table (admit_fields.c): forwarded as is, rewritten by orad,
 * governed by policy, or refused with a sentence. A field in no class is
 * refused, unless the site names it in policy.pass_fields. Other wire
 * shapes (Anthropic Messages, OpenAI Responses) add their own table and
 * say where their model and token cap live (struct admit_shape).
 */
#ifndef ORA_ADMIT_H
#define ORA_ADMIT_H

#include <stddef.h>
#include <stdint.h>

#include "common/money.h"
#include "config/conf.h"

struct json_object;
struct admit_shape;

/* Limits on what a request may say, each a named constant. */
#define ADMIT_MODEL_ID_MAX 128         /* bytes of a model id */
#define ADMIT_MAX_MODELS 16            /* entries of `models` */
#define ADMIT_MAX_PLUGINS 8            /* entries of `plugins` */
#define ADMIT_WEB_DEFAULT_RESULTS 5    /* OpenRouter's default max_results */
#define ADMIT_WEB_MAX_RESULTS 25       /* more is refused: cost not bounded */
#define ADMIT_WEB_RESULT_USD "0.004"   /* per result when the catalog says nothing */
#define ADMIT_FALLBACK_COMPLETION 32768 /* tokens, when nothing bounds the answer */
#define ADMIT_PROVIDER_NAMES_MAX 64    /* entries of provider.only/ignore/order */

/* The wire shapes, one table each, all under the same policy (model and
 * every fallback checked against role and centre, plugins, provider
 * preferences, reasoning, the token cap, the identity set by orad, unknown
 * fields refused unless in policy.pass_fields):
 *   admit_shape_chat       POST /v1/chat/completions (admit_fields.c);
 *                          cap max_tokens / max_completion_tokens,
 *                          identity `user`.
 *   admit_shape_messages   POST /v1/messages, Anthropic Messages as
 *                          OpenRouter serves it (admit_messages.c); cap
 *                          max_tokens, REQUIRED (400 naming it when
 *                          missing); identity metadata.user_id; OpenRouter's
 *                          `fallbacks` [{"model":id}] is sent as `models`;
 *                          thinking.budget_tokens bounded by the cap.
 *   admit_shape_responses  POST /v1/responses, OpenRouter's stateless
 *                          Responses API (admit_responses.c); cap
 *                          max_output_tokens, identity `user`;
 *                          previous_response_id, conversation, store: true
 *                          and background refused (stateless).
 * For all three, the decision's model is the body's "model" and its
 * models_json the body's "models". */
extern const struct admit_shape admit_shape_chat;
extern const struct admit_shape admit_shape_messages;
extern const struct admit_shape admit_shape_responses;

/* The shape's name for sentences and logs: "chat completions",
 * "Anthropic Messages", "Responses". */
const char *admit_shape_name(const struct admit_shape *shape);

/* What the caller is: all borrowed, all already resolved by the caller's
 * connection (rule, role, cost centre). user_value is what orad puts in
 * the upstream `user` field (NULL: the field is removed). */
struct admit_caller {
	const struct ora_conf *conf;
	const struct ora_rule *rule;      /* rule->role is the role */
	const struct ora_cost_centre *cc; /* chosen cost centre */
	const char *user;                 /* caller's login name, for sentences */
	const char *user_value;
};

/* A view of the upstream catalog: by_id is a JSON object mapping a model
 * id to its /models entry; NULL before the first fetch, in which case no
 * model can be checked for existence nor priced (decision.priced = 0). */
struct admit_catalog {
	struct json_object *by_id;
};

/* admit_price.c. Parse each model's prices once, when a catalog is
 * loaded, and keep them on its object in by_id (json-c's userdata, freed
 * with it) for every admission to read; a catalog not prepared is parsed
 * per request, with the same result. */
void admit_catalog_prepare(struct json_object *by_id);

struct admit_decision {
	int status;            /* 0: admitted; else the HTTP status to answer */
	const char *type;      /* ORA_ERR_* when refused */
	char message[1024];    /* one sentence: why, and what to do */
	char *body;            /* admitted: the body to send upstream (malloc) */
	size_t body_len;
	char *model;           /* the model requested, after aliases and the
	                          role default; NULL if refused before known */
	char *models_json;     /* the `models` list sent, as JSON, or NULL */
	int stream;
	int priced;            /* estimate is meaningful (catalog loaded) */
	ora_pico estimate;     /* upper bound of the cost, every component */
};

/* Decide on one request. Always fills *out (zeroed first); returns 0 when
 * admitted, -1 when refused. Free with admit_decision_clear(). */
int admit_request(const struct admit_shape *shape, const char *bytes, size_t len,
    const struct admit_caller *caller, const struct admit_catalog *cat,
    struct admit_decision *out);

void admit_decision_clear(struct admit_decision *d);

/* admit_model.c. Whether id is a model id as OpenRouter spells them:
 * 1..ADMIT_MODEL_ID_MAX bytes of [A-Za-z0-9._-/:], "vendor/name" with an
 * optional ":variant", no "..", no empty segment. len is the JSON
 * string's length, which must equal strlen(id) (no NUL inside). On
 * refusal why (may be NULL) says what is wrong. */
int admit_model_id_valid(const char *id, size_t len, const char **why);

/* A model pattern from ora.conf against a model id: '*' matches any run of
 * characters except '/', ':' and '@', '?' one such character, everything
 * else itself. So "openai/STAR" allows every OpenAI model but not
 * "openai/gpt-4o:nitro" (a variant must be named: "openai/STAR:nitro")
 * nor anything under another vendor. 1 on match. */
int admit_pattern_match(const char *pattern, const char *id);

/* admit_provider.c. The provider preferences the site enforces for role
 * and centre (the centre narrows the role), as a JSON object in
 * OpenRouter's `provider` shape (new reference), or NULL when neither sets
 * any. Shown by /me and oractl explain. */
struct json_object *admit_site_provider(const struct ora_role *role,
    const struct ora_cost_centre *cc);

/* admit_plugins.c. Whether the broker knows plugin id (and so a site may
 * allow it), and whether role or centre grants it. */
int admit_plugin_known(const char *id);
int admit_plugin_granted(const struct ora_role *role, const struct ora_cost_centre *cc,
    const char *id);

/* admit_scrub.c. An upstream error body with the upstream account's
 * identifiers (user_id and the like, at any depth) removed, as a new
 * malloc'd string in *out; a body that is not JSON is replaced by a
 * generic JSON error, since it cannot be scrubbed field by field. */
void admit_scrub_upstream_error(const char *body, size_t len, long status, char **out,
    size_t *out_len);

#endif
