/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * error_anthropic.c: ora's error types in Anthropic's words (see
 * error_anthropic.h). The SDKs pick their typed error by the status; the
 * type tells a person reading the body what kind of refusal it is, so it
 * follows ora's meaning where the status alone would be vaguer (a budget
 * is a billing_error, a busy upstream an overloaded_error).
 */
#include "config.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "orad/error_anthropic.h"
#include "orad/reply.h"

static const struct {
	const char *ora;
	const char *anthropic;
} by_type[] = {
	{ ORA_ERR_NOT_PERMITTED, "permission_error" },
	{ ORA_ERR_MODEL_NOT_ALLOWED, "permission_error" },
	{ ORA_ERR_CENTRE_NOT_ALLOWED, "permission_error" },
	{ ORA_ERR_BAD_REQUEST, "invalid_request_error" },
	{ ORA_ERR_TOO_LARGE, "request_too_large" },
	{ ORA_ERR_REQUEST_TIMEOUT, "timeout_error" },
	{ ORA_ERR_RATE_LIMITED, "rate_limit_error" },
	{ ORA_ERR_BUDGET, "billing_error" },
	{ ORA_ERR_TOO_MANY_CONNECTIONS, "rate_limit_error" },
	{ ORA_ERR_UPSTREAM_UNREACHABLE, "api_error" },
	{ ORA_ERR_UPSTREAM_TIMEOUT, "timeout_error" },
	{ ORA_ERR_UPSTREAM_BAD_REPLY, "api_error" },
	{ ORA_ERR_UPSTREAM_DOWN, "api_error" },
	{ ORA_ERR_UPSTREAM_BUSY, "overloaded_error" },
	{ ORA_ERR_NOT_FOUND, "not_found_error" },
	{ ORA_ERR_METHOD, "invalid_request_error" },
	{ ORA_ERR_SHUTTING_DOWN, "api_error" },
	{ ORA_ERR_UNAVAILABLE, "api_error" },
	{ ORA_ERR_INTERNAL, "api_error" },
};

static const struct {
	int status;
	const char *anthropic;
} by_status[] = {
	{ 400, "invalid_request_error" }, { 401, "authentication_error" },
	{ 402, "billing_error" }, { 403, "permission_error" }, { 404, "not_found_error" },
	{ 408, "timeout_error" }, { 413, "request_too_large" }, { 429, "rate_limit_error" },
	{ 504, "timeout_error" },
	{ 529, "overloaded_error" },
};

const char *
error_anthropic_type(int status, const char *ora_type)
{
	for (size_t i = 0; ora_type != NULL && i < sizeof(by_type) / sizeof(by_type[0]); i++)
		if (strcmp(ora_type, by_type[i].ora) == 0)
			return by_type[i].anthropic;
	for (size_t i = 0; i < sizeof(by_status) / sizeof(by_status[0]); i++)
		if (status == by_status[i].status)
			return by_status[i].anthropic;
	return status >= 500 ? "api_error" : "invalid_request_error";
}

static struct json_object *
error_object(int status, const char *ora_type, const char *message)
{
	struct json_object *root = json_object_new_object(), *err = json_object_new_object();

	json_object_object_add(err, "type",
	    json_object_new_string(error_anthropic_type(status, ora_type)));
	json_object_object_add(err, "message",
	    json_object_new_string(message != NULL && message[0] != '\0'
	                               ? message
	                               : "the broker could not serve this request"));
	json_object_object_add(root, "type", json_object_new_string("error"));
	json_object_object_add(root, "error", err);
	return root;
}

/* prefix, the error's JSON, suffix: one malloc'd string. */
static char *
framed(int status, const char *ora_type, const char *message, const char *prefix,
    const char *suffix, size_t *len)
{
	struct json_object *root = error_object(status, ora_type, message);
	size_t n, p = strlen(prefix), s = strlen(suffix);
	const char *json = json_object_to_json_string_length(root,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	char *out = ora_xmalloc(p + n + s + 1);

	memcpy(out, prefix, p);
	memcpy(out + p, json, n);
	memcpy(out + p + n, suffix, s + 1);
	*len = p + n + s;
	json_object_put(root);
	return out;
}

char *
error_anthropic_body(int status, const char *ora_type, const char *message, size_t *len)
{
	return framed(status, ora_type, message, "", "\n", len);
}

char *
error_anthropic_event(int status, const char *ora_type, const char *message, size_t *len)
{
	/* json-c writes no raw newline in PLAIN mode: one data: line. */
	return framed(status, ora_type, message, "event: error\ndata: ", "\n\n", len);
}
