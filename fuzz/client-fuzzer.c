/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * client-fuzzer.c: what libora-client makes of the bytes the broker sends
 * back: the HTTP response (status line, headers, Content-Length, chunked
 * encoding, interim answers; transport.c), the event stream (the SSE reader
 * of src/common/sse.c through client/sse.c, then client/stream.c), whole
 * answers (completions, /models, /me) and error bodies (classify.c).
 *
 * The first byte of an input says what the request was, the way chat.c,
 * info.c and client.c ask: bits 0-1 a streamed chat completion, a whole one,
 * GET /api/v1/models or GET /api/v1/me; bit 2 a HEAD request; bit 3 an
 * application that cancels after its second delta. The rest is the
 * response, read from one end of a socket pair through oc_receive(), the
 * reading half of every exchange.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/internal.h"
#include "client/sse.h"
#include "client/stream.h"
#include "fuzz/fuzz.h"

/* Below a socket's default buffer, so one write() never blocks. */
#define CLIENT_FUZZ_MAX (64u * 1024)

enum asked { ASK_STREAM, ASK_CHAT, ASK_MODELS, ASK_ME };

struct stream_ctx {
	struct oc_sse sse;
	struct oc_stream stream;
	int deltas;
	int cancel_after; /* 0: never */
	unsigned sum;
};

static int
on_delta(void *arg, const char *text, size_t len)
{
	struct stream_ctx *x = arg;
	for (size_t i = 0; i < len; i++) /* every byte promised is readable */
		x->sum += (unsigned char)text[i];
	return x->cancel_after > 0 && ++x->deltas >= x->cancel_after;
}

static int
sink(void *arg, const char *data, size_t len)
{
	struct stream_ctx *x = arg;

	return oc_sse_feed(&x->sse, data, len, oc_stream_event, &x->stream) != 0;
}

/* As chat.c, info.c and client.c do with a complete response. */
static void
interpret(struct ora_client *c, enum asked asked, struct oc_response *resp, struct stream_ctx *x)
{
	struct ora_reply *reply = NULL;
	struct ora_model_list *models = NULL;
	struct ora_me *me = NULL;
	struct ora_generation *gen = NULL;
	char msg[OC_MESSAGE_MAX];

	if (!oc_response_ok(resp)) {
		oc_fail_http(c, resp);
		return;
	}
	if (asked == ASK_STREAM && strncasecmp(resp->content_type, "text/event-stream", 17) == 0) {
		if (oc_stream_result(&x->stream) == ORA_OK && oc_stream_reply(&x->stream, &reply) == ORA_OK)
			ora_reply_free(reply);
		return;
	}
	switch (asked) {
	case ASK_STREAM:
	case ASK_CHAT:
		if (oc_parse_completion(resp->body.p, resp->body.len, &reply, msg, sizeof(msg)) == ORA_OK)
			ora_reply_free(reply);
		break;
	case ASK_MODELS:
		if (oc_parse_models(resp->body.p, resp->body.len, &models, msg, sizeof(msg)) == ORA_OK)
			ora_model_list_free(models);
		break;
	case ASK_ME:
		if (oc_parse_me(resp->body.p, resp->body.len, &me, msg, sizeof(msg)) == ORA_OK)
			ora_me_free(me);
		/* /api/v1/generation answers are GET answers of the same kind. */
		if (oc_parse_generation(resp->body.p, resp->body.len, &gen, msg, sizeof(msg)) == ORA_OK)
			ora_generation_free(gen);
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ora_client *c = NULL;
	struct oc_response resp;
	struct stream_ctx x;
	enum asked asked;
	int sv[2];

	if (size < 1 || size - 1 > CLIENT_FUZZ_MAX)
		return 0;
	asked = (enum asked)(data[0] & 3);
	if (ora_client_open("/nonexistent/fuzz.sock", &c) != ORA_OK)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		abort();
	if (size > 1 && write(sv[1], data + 1, size - 1) != (ssize_t)(size - 1))
		abort();
	close(sv[1]); /* the broker closes after its answer */
	c->fd = sv[0];

	oc_sse_init(&x.sse, OC_MAX_EVENT);
	oc_stream_init(&x.stream, on_delta, on_delta, &x);
	x.deltas = 0;
	x.sum = 0;
	x.cancel_after = data[0] & 8 ? 2 : 0;
	if (oc_receive(c, data[0] & 4 ? "HEAD" : asked <= ASK_CHAT ? "POST" : "GET",
	        asked == ASK_STREAM ? sink : NULL, &x, &resp) == ORA_OK)
		interpret(c, asked, &resp, &x);
	oc_response_free(&resp);
	oc_sse_free(&x.sse);
	oc_stream_free(&x.stream);
	ora_client_close(c); /* closes sv[0] */
	return 0;
}
