/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * admit_internal.h: shared by the files of the admission core. Not part of
 * the contract; other modules include admit.h only.
 */
#ifndef ORA_ADMIT_INTERNAL_H
#define ORA_ADMIT_INTERNAL_H

#include <stddef.h>

#include "admit/admit.h"
#include "common/money.h"

struct json_object;
struct admit_ctx;

/* The class of a top-level field: what orad does with it. */
enum admit_class {
	ADMIT_FORWARD,  /* changes neither model, provider nor price: as is */
	ADMIT_REWRITE,  /* orad sets or bounds it */
	ADMIT_POLICY,   /* governed by the site's policy */
	ADMIT_REFUSE,   /* refused with the field's sentence */
};

/* Checks one field's value; may replace it in ctx->body. 0, or -1 after
 * admit_refuse(). NULL check: any JSON value. */
typedef int (*admit_check_fn)(struct admit_ctx *ctx, const char *name, struct json_object *v);

struct admit_field {
	const char *name;
	enum admit_class cls;
	admit_check_fn check;
	const char *why; /* ADMIT_REFUSE: the sentence; else what orad does */
};

/* One wire shape: its fields, where its model, its fallback list, its
 * token cap and its end-user identity live, and what a request must hold.
 * A new wire shape is one file with one of these (admit_fields.c for chat
 * completions, admit_messages.c, admit_responses.c). */
struct admit_shape {
	const char *name;               /* "chat completions", in sentences */
	const char *body_hint;          /* what a body must hold, in sentences:
	                                   "\"messages\"" */
	const struct admit_field *fields;
	size_t n_fields;
	const char *model_field;        /* "model" */
	const char *list_field;         /* the fallback model ids: "models" */
	const char *const *cap_fields;  /* token caps, NULL-terminated */
	const char *cap_default;        /* field orad sets to the role's cap */
	int cap_required;               /* a request without a cap is refused
	                                   (Anthropic's max_tokens) */
	const char *identity_field;     /* dotted path orad sets to the caller's
	                                   user_value: "user", "metadata.user_id" */
	int (*finish)(struct admit_ctx *ctx); /* after every field: rewrites */
};

/* The state of one admission. */
struct admit_ctx {
	const struct admit_shape *shape;
	const struct admit_caller *c;
	const struct admit_catalog *cat;
	struct admit_decision *out;
	struct json_object *body;       /* owned */
	size_t body_bytes;              /* as received: bounds prompt tokens */
	const char *model;              /* borrowed from body */
	int stream;
	int64_t max_tokens;             /* effective completion cap, 0: none */
	int64_t reasoning_tokens;       /* reasoning.max_tokens, after the cap */
	int64_t web_results;            /* web search results to reserve, 0: none */
	int64_t images;                 /* image parts in the messages */
	int uses_router;                /* a routing plugin picks the model */
	struct json_object *extra_models; /* ids a plugin may run (array, owned) */
	int fusion;                     /* every extra model runs: sum, not max */
};

/* admit.c */
/* Set (or, without a user_value, remove) the shape's identity field. */
void admit_set_identity(struct admit_ctx *ctx);
int admit_refuse(struct admit_ctx *ctx, int status, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int admit_model_allowed(const struct admit_ctx *ctx, const char *id);
void admit_describe_allowed(const struct admit_ctx *ctx, char *buf, size_t size);
/* A known catalog entry for id, or NULL (always NULL without a catalog). */
struct json_object *admit_catalog_find(const struct admit_ctx *ctx, const char *id);

/* admit_model.c: checks one model id from field (id valid, allowed, known)
 * after resolving aliases; *resolved is the id to send (borrowed from conf
 * or from v). */
int admit_check_model_id(struct admit_ctx *ctx, const char *field, struct json_object *v,
    const char **resolved);
int admit_models(struct admit_ctx *ctx);

/* admit_value.c */
int admit_scan_raw(const char *bytes, size_t len, char *why, size_t why_size);
int admit_check_tree(struct json_object *v, char *why, size_t why_size);

/* admit_json.c. v written as JSON, exactly as json-c writes it with
 * JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, in a malloc'd
 * NUL-terminated buffer first sized size_hint (the request's length);
 * *len its length. */
char *admit_json_write(struct json_object *v, size_t size_hint, size_t *len);
int admit_is_int(struct json_object *v);

/* admit_fields.c: checks the chat table shares with the other shapes. */
int admit_check_stream(struct admit_ctx *ctx, const char *name, struct json_object *v);
int admit_check_removed(struct admit_ctx *ctx, const char *name, struct json_object *v);
int admit_check_reasoning(struct admit_ctx *ctx, const char *name, struct json_object *v);
int admit_check_route(struct admit_ctx *ctx, const char *name, struct json_object *v);
int admit_check_session_id(struct admit_ctx *ctx, const char *name, struct json_object *v);
/* null, or a string of at most max bytes; else a 400 naming the field. */
int admit_check_short_string(struct admit_ctx *ctx, const char *name, struct json_object *v, int max);
/* The refusal of a tool the upstream runs itself (Messages' server tools,
 * Responses' hosted tools): priced per use, so it cannot be reserved for. */
int admit_refuse_server_tool(struct admit_ctx *ctx, const char *name, const char *type);
/* Images are priced apiece: count the content parts of type part_type in
 * the items' "content" arrays (chat's messages, Messages' messages,
 * Responses' input). items is an array. */
void admit_count_images(struct admit_ctx *ctx, struct json_object *items, const char *part_type);
int admit_in_list(const char *s, const char *const *list);

/* admit_plugins.c / admit_provider.c / admit_price.c */
int admit_check_plugins(struct admit_ctx *ctx, const char *name, struct json_object *v);
int admit_check_provider(struct admit_ctx *ctx, const char *name, struct json_object *v);
int admit_apply_site_provider(struct admit_ctx *ctx);
int admit_price(struct admit_ctx *ctx);
int admit_model_priced(struct json_object *catalog_entry); /* every price known */

#endif
