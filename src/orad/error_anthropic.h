/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * error_anthropic.h: the errors orad itself writes on the Anthropic
 * Messages endpoint, in Anthropic's error shape, so that the tools that
 * speak it (the Anthropic SDKs, Claude Code) show them as their typed
 * errors:
 *
 *   {"type":"error","error":{"type":"permission_error","message":"..."}}
 *
 * with the same HTTP status and sentence orad gives on chat completions
 * (reply.h). ora's stable error types (ORA_ERR_*) map onto Anthropic's
 * through one table (error_anthropic.c); a type the table does not know
 * maps by status. Pure: unit-tested in tests/unit/check_error_anthropic.c.
 */
#ifndef ORAD_ERROR_ANTHROPIC_H
#define ORAD_ERROR_ANTHROPIC_H

#include <stddef.h>

/* Anthropic's error type for ora's type (ORA_ERR_*, may be NULL) and the
 * HTTP status: e.g. model_not_allowed -> "permission_error",
 * budget_exhausted -> "billing_error", rate_limited -> "rate_limit_error",
 * upstream_busy -> "overloaded_error"; unknown types by status (400
 * invalid_request_error, 401 authentication_error, 402 billing_error, 403
 * permission_error, 404 not_found_error, 408 timeout_error, 413
 * request_too_large, 429 rate_limit_error, 504 timeout_error, 529
 * overloaded_error, other 5xx api_error, other 4xx invalid_request_error);
 * request_timeout (the caller too slow) -> "timeout_error", Anthropic's
 * type for a request that timed out. A static string. */
const char *error_anthropic_type(int status, const char *ora_type);

/* The JSON text of the error (with a final newline, as reply_error_body()),
 * malloc'd; *len is its length. message may be NULL (a generic sentence). */
char *error_anthropic_body(int status, const char *ora_type, const char *message, size_t *len);

/* The same error as one server-sent event, for an error after the stream
 * began (Anthropic ends a failing stream with it):
 * "event: error\ndata: {...}\n\n". malloc'd; *len is its length. */
char *error_anthropic_event(int status, const char *ora_type, const char *message, size_t *len);

#endif
