/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * chat.c: chat completions, whole or streamed.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/internal.h"
#include "client/sse.h"
#include "client/stream.h"

struct stream_ctx {
	struct oc_sse sse;
	struct oc_stream stream;
	int sse_error; /* OC_SSE_TOO_LONG or OC_SSE_NOMEM, if the parser failed */
};

static enum ora_status
check_args(struct ora_client *c, const struct ora_request *req, char **json, int stream)
{
	if (req == NULL)
		return oc_fail(c, ORA_E_INVALID, "no request given");
	if ((*json = ora_request_to_json(req, stream)) == NULL)
		return oc_fail(c, ORA_E_NOMEM, "out of memory");
	return ORA_OK;
}

enum ora_status
ora_client_chat(struct ora_client *c, const struct ora_request *req, struct ora_reply **out)
{
	struct oc_response resp;
	char msg[OC_MESSAGE_MAX], *json = NULL;
	enum ora_status r;

	oc_begin(c);
	if (out == NULL)
		return oc_fail(c, ORA_E_INVALID, "no place for the reply given");
	*out = NULL;
	if ((r = check_args(c, req, &json, 0)) != ORA_OK)
		return r;
	r = oc_perform(c, "POST", OC_CHAT_PATH, json, strlen(json), NULL, NULL, &resp);
	oc_note_generation(c, resp.generation_id, NULL);
	if (r != ORA_OK)
		goto out;
	if (!oc_response_ok(&resp)) {
		r = oc_fail_http(c, &resp);
		goto out;
	}
	if ((r = oc_parse_completion(resp.body.p, resp.body.len, out, msg, sizeof(msg))) != ORA_OK)
		oc_fail(c, r, "%s", msg);
	else
		oc_note_generation(c, (*out)->id, &(*out)->usage);
out:
	oc_response_free(&resp);
	free(json);
	return r;
}

static int
sink(void *arg, const char *data, size_t len)
{
	struct stream_ctx *x = arg;
	int r = oc_sse_feed(&x->sse, data, len, oc_stream_event, &x->stream);

	if (r < 0)
		x->sse_error = r;
	return r != 0;
}

/* The broker answered a stream request with a whole completion (it may, for
 * instance, when the answer came from a cache): hand it over as one delta. */
static enum ora_status
deliver_whole(struct ora_client *c, const struct oc_response *resp, struct oc_stream *s,
    struct ora_reply **out)
{
	struct ora_reply *reply = NULL;
	char msg[OC_MESSAGE_MAX];
	enum ora_status r;

	r = oc_parse_completion(resp->body.p, resp->body.len, &reply, msg, sizeof(msg));
	if (r != ORA_OK)
		return oc_fail(c, r, "%s", msg);
	oc_note_generation(c, reply->id, &reply->usage);
	if (s->on_content != NULL && reply->text[0] != '\0' &&
	    s->on_content(s->arg, reply->text, strlen(reply->text)) != 0) {
		ora_reply_free(reply);
		return oc_fail(c, ORA_E_CANCELLED, "the request was cancelled");
	}
	free(reply->text);
	reply->text = NULL;
	if (out != NULL)
		*out = reply;
	else
		ora_reply_free(reply);
	return ORA_OK;
}

enum ora_status
ora_client_chat_stream(struct ora_client *c, const struct ora_request *req, ora_delta_fn on_content,
    ora_delta_fn on_reasoning, void *arg, struct ora_reply **out)
{
	struct stream_ctx x;
	struct oc_response resp;
	char *json = NULL;
	enum ora_status r;

	oc_begin(c);
	if (out != NULL)
		*out = NULL;
	if ((r = check_args(c, req, &json, 1)) != ORA_OK)
		return r;
	oc_sse_init(&x.sse, OC_MAX_EVENT);
	oc_stream_init(&x.stream, on_content, on_reasoning, arg);
	x.sse_error = 0;

	r = oc_perform(c, "POST", OC_CHAT_PATH, json, strlen(json), sink, &x, &resp);
	/* Whatever happens next, what the answer was and cost so far. */
	oc_note_generation(c, resp.generation_id, NULL);
	oc_note_generation(c, x.stream.id, &x.stream.usage);
	/* Why the stream stopped matters more than how the transfer ended. */
	if (x.sse_error == OC_SSE_TOO_LONG)
		r = oc_fail(c, ORA_E_PROTOCOL,
		    "a stream event from the broker is larger than %u MiB", OC_MAX_EVENT >> 20);
	else if (x.sse_error == OC_SSE_NOMEM)
		r = oc_fail(c, ORA_E_NOMEM, "out of memory");
	else if (x.stream.status != ORA_OK)
		r = oc_fail(c, x.stream.status, "%s", x.stream.message);
	else if (r == ORA_E_UPSTREAM_MIDSTREAM && x.stream.done) {
		r = ORA_OK; /* the connection broke after the end: nothing lost */
		oc_clear_error(c);
	}
	if (r != ORA_OK)
		goto out;
	if (!oc_response_ok(&resp)) {
		r = oc_fail_http(c, &resp);
		goto out;
	}
	if (strncasecmp(resp.content_type, "text/event-stream", 17) != 0) {
		r = deliver_whole(c, &resp, &x.stream, out);
		goto out;
	}
	if ((r = oc_stream_result(&x.stream)) != ORA_OK) {
		oc_fail(c, r, "%s", x.stream.message);
		goto out;
	}
	if (out != NULL && (r = oc_stream_reply(&x.stream, out)) != ORA_OK)
		oc_fail(c, r, "out of memory");
out:
	oc_response_free(&resp);
	oc_sse_free(&x.sse);
	oc_stream_free(&x.stream);
	free(json);
	return r;
}
