#include "config.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>

#include "orad/reply.h"

const char *
reply_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 402: return "Payment Required";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Payload Too Large";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Status";
	}
}

void
reply_json(struct evhttp_request *req, int status, struct json_object *obj)
{
	struct evbuffer *buf = evbuffer_new();
	size_t len;
	const char *text = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);

	evbuffer_add(buf, text, len);
	evbuffer_add(buf, "\n", 1);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
	evhttp_send_reply(req, status, reply_reason(status), buf);
	evbuffer_free(buf);
}

void
reply_error(struct evhttp_request *req, int status, const char *type, const char *fmt, ...)
{
	char message[2048];
	va_list ap;
	struct json_object *root = json_object_new_object(), *err = json_object_new_object();

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	json_object_object_add(err, "code", json_object_new_int(status));
	json_object_object_add(err, "message", json_object_new_string(message));
	json_object_object_add(err, "type", json_object_new_string(type));
	json_object_object_add(root, "error", err);
	reply_json(req, status, root);
	json_object_put(root);
}
