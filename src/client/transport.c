/*
 * transport.c: one HTTP exchange with the broker over the Unix socket.
 *
 * libcurl does the HTTP; the connection is kept in the client's easy handle
 * and reused by the next request. curl_easy_reset() before each request keeps
 * that live connection while dropping the previous request's options.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/internal.h"

#define METHOD_MAX 16

struct transfer {
	struct ora_client *c;
	struct oc_response *resp;
	oc_sink_fn sink;
	void *sink_arg;
	int decided;   /* whether the body goes to the sink is known */
	int streaming; /* it does */
	int sink_stopped;
	int overflow;
	int nomem;
};

/* curl_global_init() is the one piece of process-wide state libcurl needs;
 * it is done once, however many clients and threads there are. */

/* A non-zero return from a write callback that libcurl takes as an error. */
#ifdef CURL_WRITEFUNC_ERROR
#define WRITE_ABORT CURL_WRITEFUNC_ERROR
#else
#define WRITE_ABORT 0
#endif

static int
header_value(const char *line, size_t len, const char *name, char *dst, size_t size)
{
	size_t n = strlen(name), end;

	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return 0;
	line += n + 1;
	len -= n + 1;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	for (end = len; end > 0 && (line[end - 1] == '\r' || line[end - 1] == '\n' ||
	                               line[end - 1] == ' ' || line[end - 1] == '\t');
	     end--)
		;
	if (end >= size)
		end = size - 1;
	memcpy(dst, line, end);
	dst[end] = '\0';
	return 1;
}

static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct transfer *t = arg;
	struct oc_response *resp = t->resp;
	size_t len = size * nmemb;
	char value[32], *end;
	long secs;

	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		/* A new response (after a 100 Continue): forget the last. */
		resp->content_type[0] = '\0';
		resp->retry_after = -1;
	} else if (header_value(data, len, "Retry-After", value, sizeof(value))) {
		/* Only delay-seconds; an HTTP date is rare enough to ignore. */
		secs = strtol(value, &end, 10);
		if (end != value && *end == '\0' && secs >= 0)
			resp->retry_after = secs;
	} else {
		header_value(
		    data, len, "Content-Type", resp->content_type, sizeof(resp->content_type));
	}
	return len;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct transfer *t = arg;
	size_t len = size * nmemb;
	long code = 0;
	int r;

	if (!t->decided) {
		curl_easy_getinfo(t->c->curl, CURLINFO_RESPONSE_CODE, &code);
		t->streaming = t->sink != NULL && code >= 200 && code < 300 &&
		               strncasecmp(t->resp->content_type, "text/event-stream", 17) == 0;
		t->decided = 1;
	}
	if (t->streaming) {
		if (t->sink(t->sink_arg, data, len) != 0) {
			t->sink_stopped = 1;
			return WRITE_ABORT;
		}
		return len;
	}
	if ((r = oc_buf_append(&t->resp->body, data, len, OC_MAX_RESPONSE)) != 0) {
		if (r == OC_BUF_FULL)
			t->overflow = 1;
		else
			t->nomem = 1;
		return WRITE_ABORT;
	}
	return len;
}

static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct ora_client *c = arg;

	return c->cancel_check(c->cancel_arg) != 0;
}

static enum ora_status
fail_transport(struct ora_client *c, CURLcode rc, const struct transfer *t)
{
	char buf[256];
	const char *why = c->curl_error[0] != '\0' ? c->curl_error : curl_easy_strerror(rc);
	long os_errno = 0;

	if (t->nomem)
		return oc_fail(c, ORA_E_NOMEM, "out of memory");
	if (t->overflow)
		return oc_fail(c, ORA_E_PROTOCOL, "the broker's answer is larger than %u MiB",
		    OC_MAX_RESPONSE >> 20);
	if (t->sink_stopped || rc == CURLE_ABORTED_BY_CALLBACK)
		return oc_fail(c, ORA_E_CANCELLED, "the request was cancelled");
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return oc_fail(
		    c, ORA_E_TIMEOUT, "the broker at %s did not answer in time", c->socket_path);
	if (rc == CURLE_COULDNT_CONNECT) {
		curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &os_errno);
		if (os_errno != 0)
			why = strerror_r((int)os_errno, buf, sizeof(buf));
		return oc_fail(c, ORA_E_UNREACHABLE,
		    "cannot connect to the ora broker at %s (%s): is orad running, and may you "
		    "use its socket?",
		    c->socket_path, why);
	}
	if (t->resp->status == 0)
		return oc_fail(c, ORA_E_UNREACHABLE,
		    "the broker at %s closed the connection without answering (%s)", c->socket_path,
		    why);
	return oc_fail(c, ORA_E_UPSTREAM_MIDSTREAM,
	    "the connection to the broker broke off in the middle of the answer (%s)", why);
}

static int
valid_method(const char *method)
{
	size_t n = strlen(method);

	return n > 0 && n < METHOD_MAX && strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == n;
}

static int
valid_path(const char *path)
{
	const unsigned char *p;

	if (path[0] != '/')
		return 0;
	for (p = (const unsigned char *)path; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f)
			return 0;
	return 1;
}

static int
append_header(struct curl_slist **list, const char *line)
{
	struct curl_slist *h = curl_slist_append(*list, line);

	if (h == NULL)
		return -1;
	*list = h;
	return 0;
}

static void
set_method(CURL *curl, const char *method, const char *body, size_t body_len)
{
	if (strcmp(method, "GET") == 0 && body == NULL) {
		curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
		return;
	}
	if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
		return;
	}
	if (strcmp(method, "POST") != 0)
		curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "POST") == 0 || body != NULL) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body != NULL ? body : "");
		curl_easy_setopt(
		    curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body != NULL ? body_len : 0));
	}
}

enum ora_status
oc_perform(struct ora_client *c, const char *method, const char *path, const char *body,
    size_t body_len, oc_sink_fn sink, void *sink_arg, struct oc_response *resp)
{
	struct transfer t = {c, resp, sink, sink_arg, 0, 0, 0, 0, 0};
	struct curl_slist *headers = NULL;
	char line[64 + OC_COST_CENTRE_MAX], *url = NULL;
	enum ora_status status = ORA_OK;
	CURL *curl = c->curl;
	CURLcode rc;

	memset(resp, 0, sizeof(*resp));
	resp->retry_after = -1;
	if (!valid_method(method) || !valid_path(path))
		return oc_fail(c, ORA_E_INVALID, "invalid request method or path");
	/* The host name only fills the Host header: the socket is the address. */
	if ((url = malloc(strlen(path) + sizeof("http://localhost"))) == NULL)
		return oc_fail(c, ORA_E_NOMEM, "out of memory");
	sprintf(url, "http://localhost%s", path);

	/* "Expect:" stops libcurl from waiting for a 100 Continue before sending
	 * a large body; the broker answers directly. */
	snprintf(line, sizeof(line), "X-Ora-Cost-Centre: %s", c->cost_centre);
	if (append_header(&headers, "Expect:") != 0 ||
	    (body != NULL && append_header(&headers, "Content-Type: application/json") != 0) ||
	    (c->cost_centre[0] != '\0' && append_header(&headers, line) != 0)) {
		status = oc_fail(c, ORA_E_NOMEM, "out of memory");
		goto out;
	}

	curl_easy_reset(curl);
	c->curl_error[0] = '\0';
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, c->curl_error);
	curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, c->socket_path);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	/* The broker is local: an http_proxy in the environment must not
	 * divert the request. */
	curl_easy_setopt(curl, CURLOPT_PROXY, "");
	curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "libora-client/" PACKAGE_VERSION);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, OC_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
	if (c->cancel_check != NULL) {
		curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(curl, CURLOPT_XFERINFODATA, c);
		curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	}
	set_method(curl, method, body, body_len);

	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
	c->http_status = resp->status;
	c->retry_after = resp->retry_after;
	if (rc != CURLE_OK)
		status = fail_transport(c, rc, &t);
out:
	/* Options point into headers and url: drop them with the handle's
	 * reference before freeing. */
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	free(url);
	return status;
}
