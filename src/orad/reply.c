/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "orad/http_conn.h"
#include "orad/reply.h"

const char *
reply_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 402: return "Payment Required";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Payload Too Large";
	case 417: return "Expectation Failed";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Status";
	}
}

/* The JSON text of obj and a newline, in one allocation. */
static char *
json_text(struct json_object *obj, size_t *len)
{
	const char *text = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, len);
	char *out = ora_xmalloc(*len + 1);

	memcpy(out, text, *len);
	out[(*len)++] = '\n';
	return out;
}

void
reply_json(struct http_req *req, int status, struct json_object *obj)
{
	size_t len;
	char *body = json_text(obj, &len);

	http_reply_add_header(req, "Content-Type", "application/json");
	http_reply(req, status, body, len);
	free(body);
}

static struct json_object *
error_object(int status, const char *type, const char *message)
{
	struct json_object *root = json_object_new_object(), *err = json_object_new_object();

	json_object_object_add(err, "code", json_object_new_int(status));
	json_object_object_add(err, "message", json_object_new_string(message));
	json_object_object_add(err, "type", json_object_new_string(type));
	json_object_object_add(root, "error", err);
	return root;
}

char *
reply_error_body(int status, const char *type, const char *message, size_t *len)
{
	struct json_object *root = error_object(status, type, message);
	char *text = json_text(root, len);

	json_object_put(root);
	return text;
}

void
reply_error(struct http_req *req, int status, const char *type, const char *fmt, ...)
{
	char message[2048];
	va_list ap;
	struct json_object *root;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	root = error_object(status, type, message);
	reply_json(req, status, root);
	json_object_put(root);
}
