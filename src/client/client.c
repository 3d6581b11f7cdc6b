/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * client.c: the client object, its options and what the last call left.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client/internal.h"

enum ora_status
ora_client_open(const char *socket_path, struct ora_client **out)
{
	struct ora_client *c;
	const char *path = socket_path;

	if (out == NULL)
		return ORA_E_INVALID;
	*out = NULL;
	if (path == NULL || *path == '\0')
		path = getenv("ORA_SOCKET");
	if (path == NULL || *path == '\0')
		path = ORA_DEFAULT_SOCKET;
	if (strlen(path) >= sizeof(((struct sockaddr_un *)NULL)->sun_path))
		return ORA_E_INVALID;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ORA_E_NOMEM;
	c->fd = -1;
	c->retry_after = -1;
	if ((c->socket_path = strdup(path)) == NULL) {
		ora_client_close(c);
		return ORA_E_NOMEM;
	}
	*out = c;
	return ORA_OK;
}

void
ora_client_close(struct ora_client *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->socket_path);
	free(c);
}

const char *
ora_client_socket_path(const struct ora_client *c)
{
	return c->socket_path;
}

/* Cost centre names are identifiers; anything else could smuggle a header. */
static int
valid_cost_centre(const char *name)
{
	const char *p;

	if (strlen(name) >= OC_COST_CENTRE_MAX)
		return 0;
	for (p = name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		        (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return 0;
	return 1;
}

enum ora_status
ora_client_set_cost_centre(struct ora_client *c, const char *name)
{
	oc_begin(c);
	if (name == NULL)
		name = "";
	if (!valid_cost_centre(name))
		return oc_fail(c, ORA_E_INVALID,
		    "a cost centre name has only letters, digits, '-', '_' and '.'");
	snprintf(c->cost_centre, sizeof(c->cost_centre), "%s", name);
	return ORA_OK;
}

enum ora_status
ora_client_set_timeout(struct ora_client *c, long timeout_ms)
{
	oc_begin(c);
	if (timeout_ms < 0)
		return oc_fail(c, ORA_E_INVALID, "a timeout cannot be negative");
	c->timeout_ms = timeout_ms;
	return ORA_OK;
}

void
ora_client_set_cancel_check(struct ora_client *c, int (*check)(void *arg), void *arg)
{
	c->cancel_check = check;
	c->cancel_arg = arg;
}

const char *
ora_client_last_error(const struct ora_client *c)
{
	return c->error;
}

const char *
ora_client_last_error_type(const struct ora_client *c)
{
	return c->error_type[0] != '\0' ? c->error_type : NULL;
}

long
ora_client_last_http_status(const struct ora_client *c)
{
	return c->http_status;
}

long
ora_client_last_retry_after(const struct ora_client *c)
{
	return c->retry_after;
}

void
oc_begin(struct ora_client *c)
{
	c->error[0] = '\0';
	c->error_type[0] = '\0';
	c->http_status = 0;
	c->retry_after = -1;
	c->generation_id[0] = '\0';
	c->has_usage = 0;
}

/* Whether usage holds anything the broker reported. */
static int
usage_reported(const struct ora_usage *u)
{
	return u->prompt_tokens >= 0 || u->completion_tokens >= 0 || u->total_tokens >= 0 ||
	       u->has_cost;
}

void
oc_note_generation(struct ora_client *c, const char *id, const struct ora_usage *usage)
{
	if (c->generation_id[0] == '\0' && id != NULL && strlen(id) < sizeof(c->generation_id))
		memcpy(c->generation_id, id, strlen(id) + 1);
	if (usage != NULL && usage_reported(usage)) {
		c->usage = *usage;
		c->has_usage = 1;
	}
}

const char *
ora_client_last_generation_id(const struct ora_client *c)
{
	return c->generation_id[0] != '\0' ? c->generation_id : NULL;
}

int
ora_client_last_usage(const struct ora_client *c, struct ora_usage *usage)
{
	if (c->has_usage) {
		*usage = c->usage;
		return 1;
	}
	memset(usage, 0, sizeof(*usage));
	usage->prompt_tokens = usage->completion_tokens = usage->total_tokens = -1;
	return 0;
}

void
oc_clear_error(struct ora_client *c)
{
	c->error[0] = '\0';
	c->error_type[0] = '\0';
}

enum ora_status
oc_fail(struct ora_client *c, enum ora_status status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
	return status;
}

enum ora_status
oc_fail_http(struct ora_client *c, const struct oc_response *resp)
{
	struct oc_http_error e;

	oc_classify(resp->status, resp->body.p, resp->body.len, &e);
	snprintf(c->error, sizeof(c->error), "%s", e.message);
	snprintf(c->error_type, sizeof(c->error_type), "%s", e.type);
	return e.status;
}

int
oc_response_ok(const struct oc_response *resp)
{
	return resp->status >= 200 && resp->status < 300;
}

void
oc_response_free(struct oc_response *resp)
{
	if (resp != NULL)
		oc_buf_free(&resp->body);
}

enum ora_status
ora_client_request(struct ora_client *c, const char *method, const char *path, const char *body,
    size_t body_len, long *status, char **resp_body, size_t *resp_len)
{
	struct oc_response resp;
	enum ora_status r;
	size_t len;

	oc_begin(c);
	if (status != NULL)
		*status = 0;
	if (resp_body != NULL)
		*resp_body = NULL;
	if (resp_len != NULL)
		*resp_len = 0;
	if (method == NULL || path == NULL || status == NULL || resp_body == NULL)
		return oc_fail(c, ORA_E_INVALID, "method, path, status and body are required");
	if ((r = oc_perform(c, method, path, body, body_len, NULL, NULL, &resp)) != ORA_OK)
		goto out;
	*status = resp.status;
	len = resp.body.len;
	if (!oc_response_ok(&resp))
		r = oc_fail_http(c, &resp);
	if ((*resp_body = oc_buf_take(&resp.body)) == NULL) {
		r = oc_fail(c, ORA_E_NOMEM, "out of memory");
		goto out;
	}
	if (resp_len != NULL)
		*resp_len = len;
out:
	oc_response_free(&resp);
	return r;
}
