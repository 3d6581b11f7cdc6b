/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "client/classify.h"

static const struct {
	const char *type;
	enum ora_status status;
} broker_types[] = {
    {"not_permitted", ORA_E_NOT_PERMITTED},
    {"model_not_allowed", ORA_E_MODEL_NOT_ALLOWED},
    {"cost_centre_not_allowed", ORA_E_COST_CENTRE_NOT_ALLOWED},
    {"bad_request", ORA_E_BAD_REQUEST},
    {"too_large", ORA_E_TOO_LARGE},
    {"request_timeout", ORA_E_BAD_REQUEST},
    {"rate_limited", ORA_E_RATE_LIMITED},
    {"too_many_connections", ORA_E_RATE_LIMITED},
    {"budget_exhausted", ORA_E_BUDGET},
    {"upstream_unreachable", ORA_E_UPSTREAM},
    {"upstream_timeout", ORA_E_UPSTREAM},
    {"upstream_bad_reply", ORA_E_UPSTREAM},
    {"upstream_down", ORA_E_UPSTREAM},
    {"upstream_busy", ORA_E_UPSTREAM},
    {"unavailable", ORA_E_UNAVAILABLE},
    {"config_invalid", ORA_E_BAD_REQUEST},
    {"not_found", ORA_E_NOT_FOUND},
    {"method_not_allowed", ORA_E_NOT_FOUND},
    {"shutting_down", ORA_E_UNAVAILABLE},
    {"internal", ORA_E_INTERNAL},
};

enum ora_status
oc_status_for_type(const char *type)
{
	size_t i;

	for (i = 0; i < sizeof(broker_types) / sizeof(broker_types[0]); i++)
		if (strcmp(broker_types[i].type, type) == 0)
			return broker_types[i].status;
	return ORA_OK;
}

/* For bodies that say nothing we understand: an HTTP-layer error page, or a
 * broker error type newer than this library. */
static enum ora_status
status_for_http(long http_status)
{
	switch (http_status) {
	case 400:
		return ORA_E_BAD_REQUEST;
	case 401:
	case 403:
		return ORA_E_NOT_PERMITTED;
	case 402:
		return ORA_E_BUDGET;
	case 404:
	case 405:
		return ORA_E_NOT_FOUND;
	case 413:
		return ORA_E_TOO_LARGE;
	case 429:
		return ORA_E_RATE_LIMITED;
	case 502:
	case 504:
		return ORA_E_UPSTREAM;
	case 503:
		return ORA_E_UNAVAILABLE;
	}
	if (http_status >= 500 && http_status < 600)
		return ORA_E_INTERNAL;
	if (http_status >= 400 && http_status < 500)
		return ORA_E_BAD_REQUEST;
	return ORA_E_PROTOCOL;
}

void
oc_copy_message(char *dst, size_t size, const char *src)
{
	size_t i;

	if (size == 0)
		return;
	for (i = 0; i + 1 < size && src[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)src[i];
		dst[i] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
	}
	dst[i] = '\0';
}

void
oc_classify(long http_status, const char *body, size_t len, struct oc_http_error *out)
{
	struct json_tokener *tok = NULL;
	struct json_object *root = NULL, *error = NULL, *field;
	enum ora_status by_type = ORA_OK;

	memset(out, 0, sizeof(*out));
	if (body != NULL && len > 0 && (tok = json_tokener_new()) != NULL)
		root = json_tokener_parse_ex(tok, body, (int)(len > INT32_MAX ? INT32_MAX : len));
	if (root != NULL && json_object_object_get_ex(root, "error", &error) &&
	    json_object_is_type(error, json_type_object)) {
		if (json_object_object_get_ex(error, "message", &field) &&
		    json_object_is_type(field, json_type_string))
			oc_copy_message(
			    out->message, sizeof(out->message), json_object_get_string(field));
		if (json_object_object_get_ex(error, "type", &field) &&
		    json_object_is_type(field, json_type_string)) {
			oc_copy_message(
			    out->type, sizeof(out->type), json_object_get_string(field));
			by_type = oc_status_for_type(out->type);
		}
	} else {
		error = NULL;
	}

	if (by_type != ORA_OK)
		out->status = by_type;
	else if (http_status == 413)
		out->status = ORA_E_TOO_LARGE; /* also when the HTTP layer said it */
	else if (error != NULL && out->type[0] == '\0')
		out->status = ORA_E_UPSTREAM; /* OpenRouter's body, passed through */
	else
		out->status = status_for_http(http_status);

	if (out->message[0] == '\0') {
		if (out->status == ORA_E_TOO_LARGE)
			snprintf(out->message, sizeof(out->message),
			    "the request is too large for the broker (HTTP 413)");
		else
			snprintf(out->message, sizeof(out->message),
			    "the broker answered HTTP %ld (%s)", http_status,
			    ora_status_str(out->status));
	}
	json_object_put(root);
	if (tok != NULL)
		json_tokener_free(tok);
}

const char *
ora_status_str(enum ora_status status)
{
	switch (status) {
	case ORA_OK:
		return "success";
	case ORA_E_INVALID:
		return "invalid argument";
	case ORA_E_NOMEM:
		return "out of memory";
	case ORA_E_UNREACHABLE:
		return "broker unreachable";
	case ORA_E_NOT_PERMITTED:
		return "not permitted";
	case ORA_E_MODEL_NOT_ALLOWED:
		return "model not allowed";
	case ORA_E_COST_CENTRE_NOT_ALLOWED:
		return "cost centre not allowed";
	case ORA_E_BUDGET:
		return "budget exhausted";
	case ORA_E_RATE_LIMITED:
		return "rate limited";
	case ORA_E_UPSTREAM:
		return "upstream error";
	case ORA_E_UPSTREAM_MIDSTREAM:
		return "upstream error in the middle of the answer";
	case ORA_E_BAD_REQUEST:
		return "bad request";
	case ORA_E_TOO_LARGE:
		return "request too large";
	case ORA_E_NOT_FOUND:
		return "not found";
	case ORA_E_UNAVAILABLE:
		return "broker unavailable";
	case ORA_E_TIMEOUT:
		return "timed out";
	case ORA_E_CANCELLED:
		return "cancelled";
	case ORA_E_PROTOCOL:
		return "unexpected answer from the broker";
	case ORA_E_INTERNAL:
		return "broker internal error";
	}
	return "unknown error";
}
