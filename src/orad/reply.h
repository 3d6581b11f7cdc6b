/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * reply.h: every answer orad writes itself goes through here, so that all
 * errors have one shape: OpenRouter's error object plus a stable `type` that
 * clients map to exit codes, and a message that names the problem and the fix.
 */
#ifndef ORAD_REPLY_H
#define ORAD_REPLY_H

#include <stddef.h>

struct http_req;
struct json_object;

/* Stable error types (the `type` field), documented in the README. */
#define ORA_ERR_NOT_PERMITTED "not_permitted"
#define ORA_ERR_MODEL_NOT_ALLOWED "model_not_allowed"
#define ORA_ERR_CENTRE_NOT_ALLOWED "cost_centre_not_allowed"
#define ORA_ERR_BAD_REQUEST "bad_request"
#define ORA_ERR_TOO_LARGE "too_large"
/* The caller's own request (head or body) came too slowly; not upstream_timeout. */
#define ORA_ERR_REQUEST_TIMEOUT "request_timeout"
#define ORA_ERR_RATE_LIMITED "rate_limited"
#define ORA_ERR_BUDGET "budget_exhausted"
#define ORA_ERR_TOO_MANY_CONNECTIONS "too_many_connections"
#define ORA_ERR_UPSTREAM_UNREACHABLE "upstream_unreachable"
#define ORA_ERR_UPSTREAM_TIMEOUT "upstream_timeout"
#define ORA_ERR_UPSTREAM_BAD_REPLY "upstream_bad_reply"
#define ORA_ERR_UPSTREAM_DOWN "upstream_down"
#define ORA_ERR_UPSTREAM_BUSY "upstream_busy"
#define ORA_ERR_NOT_FOUND "not_found"
#define ORA_ERR_METHOD "method_not_allowed"
#define ORA_ERR_SHUTTING_DOWN "shutting_down"
#define ORA_ERR_UNAVAILABLE "unavailable"
#define ORA_ERR_INTERNAL "internal"

/* Send {"error":{"code":status,"message":...,"type":type}} with status. */
void reply_error(struct http_req *req, int status, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Send obj as JSON with status. Does not take ownership of obj. */
void reply_json(struct http_req *req, int status, struct json_object *obj);

/* The JSON text of an error (with a final newline), for answers written
 * before there is a request (at accept, or a refused head). Free it. */
char *reply_error_body(int status, const char *type, const char *message, size_t *len);

/* The reason phrase for a status code. */
const char *reply_reason(int status);

#endif
