/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * admit.c: the order of admission. The body is checked as bytes (UTF-8,
 * numbers JSON can carry, no NUL in a key), parsed strictly, checked as a
 * tree (finite numbers), then every top-level field goes through its class
 * in the shape's table; the model fields, the token caps and orad's own
 * rewrites follow, then the price. What goes upstream is json-c's
 * serialization of the checked tree, never the client's bytes, so it is
 * always valid JSON and holds exactly what was checked.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit/admit.h"
#include "admit/admit_internal.h"
#include "common/util.h"
#include "config/policy.h"
#include "orad/reply.h"

#define ADMIT_MAX_TOP_FIELDS 128 /* more top-level fields than any shape has */
#define ADMIT_NAMES_ROOM 1024    /* bytes for their names without allocating */

int
admit_refuse(struct admit_ctx *ctx, int status, const char *type, const char *fmt, ...)
{
	va_list ap;

	ctx->out->status = status;
	ctx->out->type = type;
	va_start(ap, fmt);
	vsnprintf(ctx->out->message, sizeof(ctx->out->message), fmt, ap);
	va_end(ap);
	return -1;
}

struct json_object *
admit_catalog_find(const struct admit_ctx *ctx, const char *id)
{
	struct json_object *m;

	if (ctx->cat == NULL || ctx->cat->by_id == NULL || id == NULL)
		return NULL;
	if (!json_object_object_get_ex(ctx->cat->by_id, id, &m))
		return NULL;
	return m;
}

static int
any_match(char *const *patterns, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (admit_pattern_match(patterns[i], id))
			return 1;
	return 0;
}

/* The role allows it and, when the centre restricts models, so does the
 * centre: a cost centre narrows a role, never widens it. */
int
admit_model_allowed(const struct admit_ctx *ctx, const char *id)
{
	const struct ora_role *role = ctx->c->rule->role;
	const struct ora_cost_centre *cc = ctx->c->cc;

	if (!any_match(role->models, role->n_models, id))
		return 0;
	if (cc != NULL && cc->n_models > 0 && !any_match(cc->models, cc->n_models, id))
		return 0;
	return 1;
}

void
admit_describe_allowed(const struct admit_ctx *ctx, char *buf, size_t size)
{
	ora_policy_describe_models(ctx->c->rule, ctx->c->cc, buf, size);
}

const char *
admit_shape_name(const struct admit_shape *shape)
{
	return shape->name;
}

/* The identity is the broker's to give: the client's value was removed by
 * the field's check, and orad's own goes in its place. A path's parents
 * are made as objects when missing (the field check made sure a present
 * parent is one). */
void
admit_set_identity(struct admit_ctx *ctx)
{
	const char *path = ctx->shape->identity_field, *dot;
	struct json_object *parent = ctx->body, *child;
	char key[64];

	while (path != NULL && (dot = strchr(path, '.')) != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		if (!json_object_object_get_ex(parent, key, &child) ||
		    !json_object_is_type(child, json_type_object)) {
			if (ctx->c->user_value == NULL)
				return;
			child = json_object_new_object();
			json_object_object_add(parent, key, child);
		}
		parent = child;
		path = dot + 1;
	}
	if (path == NULL)
		return;
	if (ctx->c->user_value != NULL)
		json_object_object_add(parent, path, json_object_new_string(ctx->c->user_value));
	else
		json_object_object_del(parent, path);
}

static const struct admit_field *
find_field(const struct admit_shape *shape, const char *name)
{
	for (size_t i = 0; i < shape->n_fields; i++)
		if (strcmp(shape->fields[i].name, name) == 0)
			return &shape->fields[i];
	return NULL;
}

static int
site_passes(const struct ora_conf *conf, const char *name)
{
	for (size_t i = 0; conf != NULL && i < conf->policy.n_pass_fields; i++)
		if (strcmp(conf->policy.pass_fields[i], name) == 0)
			return 1;
	return 0;
}

/* One tokener serves every request, reset before each: a new one cost
 * four allocations and the clearing of its stack a request. Admission runs
 * on one thread (orad's loop). */
static struct json_tokener *
request_tokener(void)
{
	static struct json_tokener *tok;

	if (tok == NULL) {
		if ((tok = json_tokener_new()) == NULL)
			abort();
		/* Not JSON_TOKENER_VALIDATE_UTF8: admit_scan_raw has checked
		 * every string's UTF-8 (stricter: no overlong forms, no
		 * surrogates) and refused any byte above 0x7f outside one, and
		 * the parser, strict, ends strings where the scan did. Checking
		 * again cost a tenth of the parse, more for a long prompt. */
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	} else {
		json_tokener_reset(tok);
	}
	return tok;
}

static int
parse(struct admit_ctx *ctx, const char *bytes, size_t len)
{
	const struct ora_conf *conf = ctx->c->conf;
	long max_body = conf != NULL ? conf->daemon.max_body_bytes : 0;
	struct json_tokener *tok;
	char why[256];
	int r = -1;

	if (max_body > 0 && len > (size_t)max_body)
		return admit_refuse(ctx, 413, ORA_ERR_TOO_LARGE,
		    "request body is %zu bytes; this broker accepts at most %ld "
		    "(daemon.max_body_bytes)", len, max_body);
	if (len == 0)
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "empty request body; send a JSON object with %s", ctx->shape->body_hint);
	if (len > INT32_MAX)
		return admit_refuse(ctx, 413, ORA_ERR_TOO_LARGE, "request body is too large");
	if (admit_scan_raw(bytes, len, why, sizeof(why)) != 0)
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "request body is not acceptable JSON: %s", why);
	tok = request_tokener();
	ctx->body = json_tokener_parse_ex(tok, bytes, (int)len);
	if (ctx->body == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    (size_t)json_tokener_get_parse_end(tok) != len) {
		enum json_tokener_error e = json_tokener_get_error(tok);
		admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "request body is not valid JSON (%s near byte %zu); send a JSON object with %s",
		    e == json_tokener_success ? "trailing data after the object"
		    : e == json_tokener_continue ? "unexpected end of input"
		    : json_tokener_error_desc(e),
		    json_tokener_get_parse_end(tok), ctx->shape->body_hint);
	} else if (!json_object_is_type(ctx->body, json_type_object)) {
		admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "request body must be a JSON object with %s", ctx->shape->body_hint);
	} else if (admit_check_tree(ctx->body, why, sizeof(why)) != 0) {
		admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST, "request body is not acceptable: %s",
		    why);
	} else
		r = 0;
	return r;
}

/* Every top-level field through its class. The names are copied first:
 * checks may replace values, which json-c's iteration does not allow.
 * They go into one buffer on the stack (a request's names are a few
 * short words), a name that does not fit into its own allocation. */
static int
check_fields(struct admit_ctx *ctx)
{
	char *names[ADMIT_MAX_TOP_FIELDS], room[ADMIT_NAMES_ROOM];
	unsigned char allocated[ADMIT_MAX_TOP_FIELDS];
	size_t n = 0, used = 0;
	int r = 0;

	if (json_object_object_length(ctx->body) > ADMIT_MAX_TOP_FIELDS)
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "request has %d top-level fields; at most %d are understood",
		    json_object_object_length(ctx->body), ADMIT_MAX_TOP_FIELDS);
	json_object_object_foreach(ctx->body, key, val) {
		size_t len = strlen(key) + 1;

		(void)val;
		allocated[n] = len > sizeof(room) - used;
		if (allocated[n]) {
			names[n] = ora_xstrdup(key);
		} else {
			names[n] = memcpy(room + used, key, len);
			used += len;
		}
		n++;
	}
	for (size_t i = 0; i < n && r == 0; i++) {
		const struct admit_field *f = find_field(ctx->shape, names[i]);
		struct json_object *v = json_object_object_get(ctx->body, names[i]);

		if (f == NULL) {
			if (site_passes(ctx->c->conf, names[i]))
				continue;
			r = admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
			    "unknown field '%.64s'; this broker forwards only the %s fields it "
			    "knows; remove it, or ask %s to add it to policy.pass_fields",
			    names[i], ctx->shape->name,
			    ctx->c->conf != NULL && ctx->c->conf->contact != NULL
			        ? ctx->c->conf->contact : "the administrator");
		} else if (f->cls == ADMIT_REFUSE) {
			r = admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST, "\"%s\" is not accepted: %s",
			    f->name, f->why);
		} else if (f->check != NULL) {
			r = f->check(ctx, f->name, v);
		}
	}
	for (size_t i = 0; i < n; i++)
		if (allocated[i])
			free(names[i]);
	return r;
}

/* The role's cap on every token-cap field; the cap is set when none is
 * given. Above the cap is lowered rather than refused: SDKs often send a
 * large default, and the cap is what policy wants. */
static int
apply_caps(struct admit_ctx *ctx)
{
	const struct ora_role *role = ctx->c->rule->role;
	int present = 0;

	ctx->max_tokens = 0;
	for (const char *const *f = ctx->shape->cap_fields; *f != NULL; f++) {
		struct json_object *v;
		int64_t n;

		if (!json_object_object_get_ex(ctx->body, *f, &v))
			continue;
		if (json_object_is_type(v, json_type_null)) {
			json_object_object_del(ctx->body, *f);
			continue;
		}
		if (!admit_is_int(v) || (n = json_object_get_int64(v)) <= 0)
			return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
			    "\"%s\" must be a positive integer", *f);
		present = 1;
		if (role->max_tokens > 0 && n > role->max_tokens) {
			n = role->max_tokens;
			json_object_object_add(ctx->body, *f, json_object_new_int64(n));
		}
		if (n > ctx->max_tokens)
			ctx->max_tokens = n;
	}
	if (!present && ctx->shape->cap_required)
		return admit_refuse(ctx, 400, ORA_ERR_BAD_REQUEST,
		    "\"%s\" is required in the %s API: the most tokens the answer may have, "
		    "e.g. 1024%s", ctx->shape->cap_default, ctx->shape->name,
		    role->max_tokens > 0 ? " (this broker lowers it to your role's cap)" : "");
	if (!present && role->max_tokens > 0) {
		json_object_object_add(ctx->body, ctx->shape->cap_default,
		    json_object_new_int64(role->max_tokens));
		ctx->max_tokens = role->max_tokens;
	}
	return 0;
}

static void
finish_out(struct admit_ctx *ctx)
{
	struct json_object *models;

	ctx->out->body = admit_json_write(ctx->body, ctx->body_bytes, &ctx->out->body_len);
	ctx->out->model = ora_xstrdup(ctx->model);
	ctx->out->stream = ctx->stream;
	if (json_object_object_get_ex(ctx->body, ctx->shape->list_field, &models) &&
	    json_object_is_type(models, json_type_array))
		ctx->out->models_json = ora_xstrdup(json_object_to_json_string_ext(models,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* A refusal still names the model asked for, for the ledger and the log,
 * when it is a string that says one thing (no NUL, not overlong). */
static void
note_refused_model(struct admit_ctx *ctx)
{
	struct json_object *m;
	const char *s;

	if (ctx->body == NULL || ctx->out->model != NULL ||
	    !json_object_is_type(ctx->body, json_type_object) ||
	    !json_object_object_get_ex(ctx->body, ctx->shape->model_field, &m) ||
	    !json_object_is_type(m, json_type_string))
		return;
	s = json_object_get_string(m);
	if ((size_t)json_object_get_string_len(m) == strlen(s) && strlen(s) <= ADMIT_MODEL_ID_MAX)
		ctx->out->model = ora_xstrdup(s);
}

int
admit_request(const struct admit_shape *shape, const char *bytes, size_t len,
    const struct admit_caller *caller, const struct admit_catalog *cat, struct admit_decision *out)
{
	struct admit_ctx ctx = { .shape = shape, .c = caller, .cat = cat, .out = out,
		.body_bytes = len };
	int r;

	memset(out, 0, sizeof(*out));
	if (caller == NULL || caller->rule == NULL || caller->rule->role == NULL)
		return admit_refuse(&ctx, 403, ORA_ERR_NOT_PERMITTED, "no rule applies to you");
	if ((r = parse(&ctx, bytes, len)) != 0)
		goto out;
	if ((r = check_fields(&ctx)) != 0)
		goto out;
	if ((r = admit_models(&ctx)) != 0)
		goto out;
	if ((r = apply_caps(&ctx)) != 0)
		goto out;
	if (shape->finish != NULL && (r = shape->finish(&ctx)) != 0)
		goto out;
	if ((r = admit_apply_site_provider(&ctx)) != 0)
		goto out;
	if ((r = admit_price(&ctx)) != 0)
		goto out;
	finish_out(&ctx);
out:
	if (r != 0)
		note_refused_model(&ctx);
	json_object_put(ctx.body);
	json_object_put(ctx.extra_models);
	return r;
}

void
admit_decision_clear(struct admit_decision *d)
{
	if (d == NULL)
		return;
	free(d->body);
	free(d->model);
	free(d->models_json);
	memset(d, 0, sizeof(*d));
}
