/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_client_net.c: libora-client's transport against a responder thread
 * on a real Unix socket that writes canned bytes: split events, error chunks,
 * HTML error pages, hang-ups, cancellation (the responder checks that it saw
 * the client hang up), timeouts and connection reuse.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "check_client.h"
#include "ora/client.h"

static struct ora_client *
client_for(struct responder *r)
{
	struct ora_client *c;

	responder_start(r);
	ck_assert_int_eq(ora_client_open(r->path, &c), ORA_OK);
	return c;
}

static struct ora_request *
question(const char *text)
{
	struct ora_request *q = ora_request_new();

	ck_assert_int_eq(ora_request_add_message(q, "user", text), ORA_OK);
	return q;
}

struct collected {
	char text[4096];
	char reasoning[1024];
	int calls;
	int stop_after;
};

static int
on_text(void *arg, const char *text, size_t len)
{
	struct collected *c = arg;

	strncat(c->text, text, len);
	return c->stop_after != 0 && ++c->calls >= c->stop_after;
}

static int
on_reasoning(void *arg, const char *text, size_t len)
{
	struct collected *c = arg;

	strncat(c->reasoning, text, len);
	return 0;
}

#define DELTA(text)                                                                                \
	"data: {\"model\":\"m/x\",\"choices\":[{\"delta\":{\"content\":\"" text "\"}}]}\n\n"
#define DONE "data: [DONE]\n\n"

static const char completion[] =
    "\n  \n{\"id\":\"gen-1\",\"model\":\"openai/gpt-4o-mini\",\"choices\":[{\"message\":"
    "{\"role\":\"assistant\",\"content\":\"Paris.\"},\"finish_reason\":\"stop\"}],"
    "\"usage\":{\"prompt_tokens\":82,\"completion_tokens\":17,\"total_tokens\":99,"
    "\"cost\":0.0000225}}";

START_TEST(net_chat_whole)
{
	struct responder *r = responder_new(json_response("200 OK", "", completion), 0, CLOSE);
	struct ora_client *c = client_for(r);
	struct ora_request *q = question("capital of France?");
	struct ora_reply *reply;

	ck_assert_int_eq(ora_client_set_cost_centre(c, "research"), ORA_OK);
	ck_assert_int_eq(ora_client_set_cost_centre(c, "bad\r\nX-Evil: 1"), ORA_E_INVALID);
	ck_assert_int_eq(ora_client_chat(c, q, &reply), ORA_OK);
	ck_assert_str_eq(reply->text, "Paris.");
	ck_assert_str_eq(reply->model, "openai/gpt-4o-mini");
	ck_assert_int_eq(reply->usage.total_tokens, 99);
	ck_assert(reply->usage.has_cost && fabs(reply->usage.cost - 0.0000225) < 1e-12);
	ck_assert_str_eq(ora_client_last_error(c), "");
	ck_assert_int_eq(ora_client_last_http_status(c), 200);
	responder_stop(r);
	ck_assert(strncmp(r->request, "POST /api/v1/chat/completions HTTP/1.1\r\n", 40) == 0);
	ck_assert_ptr_nonnull(strstr(r->request, "\r\nX-Ora-Cost-Centre: research\r\n"));
	ck_assert_ptr_nonnull(strstr(r->request, "\r\nContent-Type: application/json\r\n"));
	ck_assert_ptr_nonnull(strstr(r->request, "\"stream\":false"));
	ck_assert_ptr_null(strcasestr(r->request, "Authorization"));
	ora_reply_free(reply);
	ora_request_free(q);
	ora_client_close(c);
	free_owned();
}
END_TEST

START_TEST(net_stream_byte_by_byte)
{
	const char *pieces[] = {": OPENROUTER PROCESSING\n\n",
	    "data: {\"id\":\"gen-2\",\"model\":\"m/x\",\"choices\":[{\"delta\":{\"role\":"
	    "\"assistant\",\"reasoning\":\"thinking\"}}]}\r\n\r\n",
	    DELTA("Hel") DELTA("lo"),
	    "data: {\"choices\":[{\"delta\":{\"content\":\"!\"},\"finish_reason\":\"stop\"}]}\r\n",
	    "\r\n: keep-alive\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,"
	    "\"completion_tokens\":4,\"total_tokens\":7,\"cost\":0.5}}\n\n",
	    DONE, NULL};
	struct responder *r = responder_new(sse_response(pieces, 1), 1, CLOSE);
	struct ora_client *c = client_for(r);
	struct ora_request *q = question("hi");
	struct collected got = {0};
	struct ora_reply *reply;

	ck_assert_int_eq(ora_client_chat_stream(c, q, on_text, on_reasoning, &got, &reply), ORA_OK);
	ck_assert_str_eq(got.text, "Hello!");
	ck_assert_str_eq(got.reasoning, "thinking");
	ck_assert_str_eq(reply->model, "m/x");
	ck_assert_str_eq(reply->finish_reason, "stop");
	ck_assert_int_eq(reply->usage.total_tokens, 7);
	ck_assert(reply->usage.has_cost && reply->usage.cost == 0.5);
	responder_stop(r);
	ck_assert_ptr_nonnull(strstr(r->request, "\"stream\":true"));
	ora_reply_free(reply);
	ora_request_free(q);
	ora_client_close(c);
	free_owned();
}
END_TEST

START_TEST(net_stream_error_chunk)
{
	const char *pieces[] = {DELTA("Hel"),
	    "data: {\"error\":{\"code\":502,\"message\":\"Provider returned error\"}}\n\n", NULL};
	struct responder *r = responder_new(sse_response(pieces, 0), 0, WAIT_HANGUP);
	struct ora_client *c = client_for(r);
	struct ora_request *q = question("hi");
	struct collected got = {0};
	struct ora_reply *reply;

	ck_assert_int_eq(
	    ora_client_chat_stream(c, q, on_text, NULL, &got, &reply), ORA_E_UPSTREAM_MIDSTREAM);
	ck_assert_ptr_null(reply);
	ck_assert_str_eq(got.text, "Hel");
	ck_assert_str_eq(ora_client_last_error(c), "Provider returned error");
	responder_stop(r);
	ck_assert_int_eq(r->saw_hangup, 1); /* the error ended the transfer */
	ora_request_free(q);
	ora_client_close(c);
	free_owned();
}
END_TEST

START_TEST(net_stream_hangup)
{
	const char *pieces[] = {DELTA("partial "), DELTA("answ"), NULL};
	struct responder *r = responder_new(sse_response(pieces, 0), 0, CLOSE);
	struct ora_client *c = client_for(r);
	struct ora_request *q = question("hi");
	struct collected got = {0};

	ck_assert_int_eq(
	    ora_client_chat_stream(c, q, on_text, NULL, &got, NULL), ORA_E_UPSTREAM_MIDSTREAM);
	ck_assert_str_eq(got.text, "partial answ");
	ck_assert_ptr_nonnull(strstr(ora_client_last_error(c), "broke off"));
	responder_stop(r);
	ora_request_free(q);
	ora_client_close(c);
	free_owned();
}
END_TEST

START_TEST(net_stream_ends_after_done)
{
	const char *pieces[] = {DELTA("whole"), DONE, NULL};
	struct responder *r = responder_new(sse_response(pieces, 0), 0, CLOSE);
	struct ora_client *c = client_for(r);
	struct ora_request *q = question("hi");
	struct collected got = {0};

	/* The connection broke, but only after [DONE]: nothing was lost. */
	ck_assert_int_eq(ora_client_chat_stream(c, q, on_text, NULL, &got, NULL), ORA_OK);
	ck_assert_str_eq(got.text, "whole");
	ck_assert_str_eq(ora_client_last_error(c), "");
	responder_stop(r);
	ora_request_free(q);
	ora_client_close(c);
	free_owned();
}
END_TEST

START_TEST(net_stream_cancel_by_callback)
{
	const char *pieces[] = {DELTA("first"), NULL};
	struct responder *r = responder_new(sse_response(pieces, 0), 0, WAIT_HANGUP);
	struct ora_client *c = client_for(r);
	struct ora_request *q = question("hi");
	struct collected got = {0};

	got.stop_after = 1;
	ck_assert_int_eq(ora_client_chat_stream(c, q, on_text, NULL, &got, NULL), ORA_E_CANCELLED);
	ck_assert_str_eq(got.text, "first");
	responder_stop(r);
	ck_assert_int_eq(r->saw_hangup, 1); /* what makes the broker stop upstream */
	ora_request_free(q);
	ora_client_close(c);
	free_owned();
}
END_TEST

/* An answer cut short keeps its generation id, so its cost can be asked
 * for later; an error chunk's usage is kept too. */
START_TEST(net_cut_short_keeps_generation)
{
	const char *cancelled[] = {
	    "data: {\"id\":\"gen-42\",\"model\":\"m/x\",\"choices\":[{\"delta\":"
	    "{\"content\":\"first\"}}]}\n\n",
	    NULL};
	const char *failed[] = {"data: {\"id\":\"gen-7\",\"error\":{\"message\":\"boom\"},"
	                        "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,"
	                        "\"total_tokens\":7,\"cost\":0.001}}\n\n",
	    NULL};
	struct responder *r = responder_new(sse_response(cancelled, 0), 0, WAIT_HANGUP);
	struct ora_client *c = client_for(r);
	struct ora_request *q = question("hi");
	struct collected got = {0};
	struct ora_usage u;

	got.stop_after = 1;
	ck_assert_int_eq(ora_client_chat_stream(c, q, on_text, NULL, &got, NULL), ORA_E_CANCELLED);
	ck_assert_str_eq(ora_client_last_generation_id(c), "gen-42");
	ck_assert_int_eq(ora_client_last_usage(c, &u), 0);
	ck_assert_int_eq(u.prompt_tokens, -1);
	ck_assert_int_eq(u.has_cost, 0);
	responder_stop(r);
	ora_client_close(c);

	r = responder_new(sse_response(failed, 0), 0, WAIT_HANGUP);
	c = client_for(r);
	ck_assert_int_eq(
	    ora_client_chat_stream(c, q, NULL, NULL, NULL, NULL), ORA_E_UPSTREAM_MIDSTREAM);
	ck_assert_str_eq(ora_client_last_generation_id(c), "gen-7");
	ck_assert_int_eq(ora_client_last_usage(c, &u), 1);
	ck_assert_int_eq(u.completion_tokens, 2);
	ck_assert_int_eq(u.has_cost, 1);
	ck_assert(fabs(u.cost - 0.001) < 1e-12);
	/* Any later call forgets them. */
	ck_assert_int_eq(ora_client_set_timeout(c, 0), ORA_OK);
	ck_assert_ptr_null(ora_client_last_generation_id(c));
	ck_assert_int_eq(ora_client_last_usage(c, &u), 0);
	responder_stop(r);
	ora_request_free(q);
	ora_client_close(c);
	free_owned();
}
END_TEST

#define HEAD_THEN_STALL_TIMEOUT_MS 5000
_Static_assert(HEAD_THEN_STALL_TIMEOUT_MS * 2 <= RESPONDER_HANGUP_WAIT_MS,
    "the responder must outwait the client's timeout, or it hangs up first");

/* Timed out before the first event: the id came in the header. */
START_TEST(net_timeout_keeps_header_generation)
{
	struct responder *r = responder_new("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
	                                    "X-Generation-Id: gen-head\r\n"
	                                    "Transfer-Encoding: chunked\r\n\r\n",
	    0, WAIT_HANGUP);
	struct ora_client *c = client_for(r);
	struct ora_request *q = question("hi");

	/* Long enough for the responder thread to send the head on a loaded
	 * machine: the stream stalls after it anyway, so the timeout fires. */
	ck_assert_int_eq(ora_client_set_timeout(c, HEAD_THEN_STALL_TIMEOUT_MS), ORA_OK);
	ck_assert_int_eq(ora_client_chat_stream(c, q, NULL, NULL, NULL, NULL), ORA_E_TIMEOUT);
	ck_assert_str_eq(ora_client_last_generation_id(c), "gen-head");
	responder_stop(r);
	ora_request_free(q);
	ora_client_close(c);
	free_owned();
}
END_TEST

START_TEST(net_generation_lookup)
{
	struct responder *r = responder_new(json_response("200 OK", "",
	                                        "{\"data\":{\"id\":\"gen-42\",\"model\":\"m/x\","
	                                        "\"total_cost\":0.0000225,\"tokens_prompt\":82,"
	                                        "\"tokens_completion\":17,\"cancelled\":true,"
	                                        "\"estimated\":false}}"),
	    0, CLOSE);
	struct ora_client *c = client_for(r);
	struct ora_generation *g;

	ck_assert_int_eq(ora_client_generation(c, "gen-42", &g), ORA_OK);
	ck_assert_ptr_nonnull(strstr(r->request, "GET /api/v1/generation?id=gen-42 HTTP/1.1\r\n"));
	ck_assert_str_eq(g->id, "gen-42");
	ck_assert_str_eq(g->model, "m/x");
	ck_assert_int_eq(g->has_cost, 1);
	ck_assert(fabs(g->cost - 0.0000225) < 1e-15);
	ck_assert_int_eq(g->prompt_tokens, 82);
	ck_assert_int_eq(g->completion_tokens, 17);
	ck_assert_int_eq(g->cancelled, 1);
	ck_assert_int_eq(g->estimated, 0);
	ora_generation_free(g);
	/* An id that could smuggle a query or a header is refused here. */
	ck_assert_int_eq(ora_client_generation(c, "gen-1&user=bob", &g), ORA_E_INVALID);
	ck_assert_ptr_null(g);
	responder_stop(r);
	ora_client_close(c);

	r = responder_new(json_response("404 Not Found", "Retry-After: 1\r\n",
	                      "{\"error\":{\"code\":404,\"type\":\"not_found\",\"message\":\"not known yet\"}}"),
	    0, CLOSE);
	c = client_for(r);
	ck_assert_int_eq(ora_client_generation(c, "gen-42", &g), ORA_E_NOT_FOUND);
	ck_assert_ptr_null(g);
	responder_stop(r);
	ora_client_close(c);
	free_owned();
}
END_TEST

static int
cancel_after_300ms(void *arg)
{
	struct timespec *start = arg, now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000 >=
	       300;
}

START_TEST(net_cancel_check_while_silent)
{
	const char *pieces[] = {": OPENROUTER PROCESSING\n\n", NULL};
	struct responder *r = responder_new(sse_response(pieces, 0), 0, WAIT_HANGUP);
	struct ora_client *c = client_for(r);
	struct ora_request *q = question("hi");
	struct timespec start, end;

	clock_gettime(CLOCK_MONOTONIC, &start);
	ora_client_set_cancel_check(c, cancel_after_300ms, &start);
	ck_assert_int_eq(ora_client_chat_stream(c, q, NULL, NULL, NULL, NULL), ORA_E_CANCELLED);
	clock_gettime(CLOCK_MONOTONIC, &end);
	ck_assert_int_lt(end.tv_sec - start.tv_sec, 3);
	responder_stop(r);
	ck_assert_int_eq(r->saw_hangup, 1);
	ora_request_free(q);
	ora_client_close(c);
	free_owned();
}
END_TEST

START_TEST(net_timeout)
{
	const char *pieces[] = {NULL};
	struct responder *r = responder_new(sse_response(pieces, 0), 0, WAIT_HANGUP);
	struct ora_client *c = client_for(r);
	struct ora_request *q = question("hi");

	ck_assert_int_eq(ora_client_set_timeout(c, 300), ORA_OK);
	ck_assert_int_eq(ora_client_chat_stream(c, q, NULL, NULL, NULL, NULL), ORA_E_TIMEOUT);
	responder_stop(r);
	ck_assert_int_eq(r->saw_hangup, 1);
	ora_request_free(q);
	ora_client_close(c);
	free_owned();
}
END_TEST

START_TEST(net_too_large_html)
{
	struct responder *r = responder_new(
	    http_response("413 Payload Too Large", "Connection: close\r\n", "text/html",
	        "<html><body>413 Request Entity Too Large</body></html>"),
	    0, CLOSE);
	struct ora_client *c = client_for(r);
	struct ora_request *q = question("big");

	ck_assert_int_eq(ora_client_chat_stream(c, q, NULL, NULL, NULL, NULL), ORA_E_TOO_LARGE);
	ck_assert_str_eq(
	    ora_client_last_error(c), "the request is too large for the broker (HTTP 413)");
	ck_assert_int_eq(ora_client_last_http_status(c), 413);
	responder_stop(r);
	ora_request_free(q);
	ora_client_close(c);
	free_owned();
}
END_TEST

START_TEST(net_refusals)
{
	struct responder *r = responder_new(NULL, 0, KEEP);
	struct ora_client *c;
	struct ora_request *q = question("hi");
	struct ora_reply *reply;

	r->canned[0] = (struct canned){
	    json_response("403 Forbidden", "",
	        "{\"error\":{\"code\":403,\"message\":\"No rule lets alice use ora; ask the IT "
	        "helpdesk.\",\"type\":\"not_permitted\"}}"),
	    0, KEEP};
	r->canned[1] = (struct canned){
	    json_response("429 Too Many Requests", "Retry-After: 7\r\n",
	        "{\"error\":{\"code\":429,\"message\":\"Slow down.\",\"type\":\"rate_limited\"}}"),
	    0, KEEP};
	r->canned[2] = (struct canned){json_response("402 Payment Required", "",
	                                   "{\"error\":{\"code\":402,\"message\":\"Budget "
	                                   "gone.\",\"type\":\"budget_exhausted\"}}"),
	    0, CLOSE};
	r->n_canned = 3;
	c = client_for(r);
	ck_assert_int_eq(ora_client_chat(c, q, &reply), ORA_E_NOT_PERMITTED);
	ck_assert_ptr_null(reply);
	ck_assert_str_eq(
	    ora_client_last_error(c), "No rule lets alice use ora; ask the IT helpdesk.");
	ck_assert_str_eq(ora_client_last_error_type(c), "not_permitted");
	ck_assert_int_eq(ora_client_last_retry_after(c), -1);
	ck_assert_int_eq(ora_client_chat_stream(c, q, NULL, NULL, NULL, NULL), ORA_E_RATE_LIMITED);
	ck_assert_int_eq(ora_client_last_retry_after(c), 7);
	ck_assert_int_eq(ora_client_chat(c, q, &reply), ORA_E_BUDGET);
	ck_assert_str_eq(ora_client_last_error(c), "Budget gone.");
	responder_stop(r);
	ck_assert_int_eq(r->accepts, 1); /* one connection, kept alive */
	ora_request_free(q);
	ora_client_close(c);
	free_owned();
}
END_TEST

START_TEST(net_unreachable)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char dir[] = "/tmp/ora-check-XXXXXX", path[108];
	struct ora_client *c;
	struct ora_model_list *list;
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/missing.sock", dir);
	ck_assert_int_eq(ora_client_open(path, &c), ORA_OK);
	ck_assert_int_eq(ora_client_models(c, &list), ORA_E_UNREACHABLE);
	ck_assert_ptr_null(list);
	ck_assert_ptr_nonnull(strstr(ora_client_last_error(c), path));
	ck_assert_ptr_nonnull(strstr(ora_client_last_error(c), "No such file"));
	ck_assert_int_eq(ora_client_last_http_status(c), 0);
	/* A socket nobody listens on any more. */
	strcpy(sa.sun_path, path);
	ck_assert_int_ge(fd = socket(AF_UNIX, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	ck_assert_int_eq(ora_client_models(c, &list), ORA_E_UNREACHABLE);
	ck_assert_ptr_nonnull(strstr(ora_client_last_error(c), "refused"));
	ora_client_close(c);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(net_models_me_raw)
{
	struct responder *r = responder_new(NULL, 0, KEEP);
	struct ora_client *c;
	struct ora_model_list *list;
	struct ora_me *me;
	char *body;
	size_t len;
	long status;

	r->canned[0] = (struct canned){
	    json_response("200 OK", "",
	        "{\"data\":[{\"id\":\"a/b\",\"pricing\":{\"prompt\":\"0.000001\"}}]}"),
	    1, KEEP};
	r->canned[1] = (struct canned){
	    json_response(
	        "200 OK", "", "{\"user\":\"alice\",\"role\":\"staff\",\"groups\":[\"ora-users\"]}"),
	    0, KEEP};
	r->canned[2] = (struct canned){json_response("404 Not Found", "",
	                                   "{\"error\":{\"code\":404,\"message\":\"No such "
	                                   "endpoint.\",\"type\":\"not_found\"}}"),
	    0, KEEP};
	r->canned[3] = (struct canned){json_response("201 Created", "", "{\"ok\":true}"), 0, CLOSE};
	r->n_canned = 4;
	c = client_for(r);
	ck_assert_int_eq(ora_client_models(c, &list), ORA_OK);
	ck_assert_uint_eq(list->count, 1);
	ck_assert(list->models[0]->prompt_price == 0.000001);
	ora_model_list_free(list);
	ck_assert_int_eq(ora_client_me(c, &me), ORA_OK);
	ck_assert_str_eq(me->user, "alice");
	ck_assert_str_eq(me->groups[0], "ora-users");
	ora_me_free(me);
	ck_assert_int_eq(
	    ora_client_request(c, "GET", "/api/v1/usage", NULL, 0, &status, &body, &len),
	    ORA_E_NOT_FOUND);
	ck_assert_int_eq(status, 404);
	ck_assert_uint_eq(len, strlen(body));
	ck_assert_ptr_nonnull(strstr(body, "No such endpoint."));
	ck_assert_str_eq(ora_client_last_error(c), "No such endpoint.");
	free(body);
	ck_assert_int_eq(ora_client_request(c, "GET", "/bad path", NULL, 0, &status, &body, NULL),
	    ORA_E_INVALID);
	ck_assert_int_eq(
	    ora_client_request(c, "PUT", "/api/v1/x", "{}", 2, &status, &body, NULL), ORA_OK);
	ck_assert_int_eq(status, 201);
	ck_assert_str_eq(body, "{\"ok\":true}");
	free(body);
	responder_stop(r);
	ck_assert(strncmp(r->request, "PUT /api/v1/x HTTP/1.1\r\n", 24) == 0);
	ck_assert_ptr_nonnull(strstr(r->request, "\r\n\r\n{}"));
	ck_assert_int_eq(r->accepts, 1);
	ora_client_close(c);
	free_owned();
}
END_TEST

START_TEST(net_stream_answered_whole)
{
	struct responder *r = responder_new(json_response("200 OK", "", completion), 0, CLOSE);
	struct ora_client *c = client_for(r);
	struct ora_request *q = question("hi");
	struct collected got = {0};
	struct ora_reply *reply;

	ck_assert_int_eq(ora_client_chat_stream(c, q, on_text, NULL, &got, &reply), ORA_OK);
	ck_assert_str_eq(got.text, "Paris.");
	ck_assert_ptr_null(reply->text);
	ck_assert_int_eq(reply->usage.prompt_tokens, 82);
	responder_stop(r);
	ora_reply_free(reply);
	ora_request_free(q);
	ora_client_close(c);
	free_owned();
}
END_TEST

START_TEST(net_large_body_sent_at_once)
{
	struct responder *r = responder_new(json_response("200 OK", "", completion), 0, CLOSE);
	struct ora_client *c = client_for(r);
	struct ora_request *q;
	struct ora_reply *reply;
	char *big = malloc(1024 * 1024 + 1);

	memset(big, 'a', 1024 * 1024);
	big[1024 * 1024] = '\0';
	q = question(big);
	ck_assert_int_eq(ora_client_chat(c, q, &reply), ORA_OK);
	responder_stop(r);
	ck_assert_uint_gt(r->body_len, 1024 * 1024);
	/* No "Expect: 100-continue": the body goes out at once, without
	 * waiting for an interim answer. */
	ck_assert_ptr_null(strcasestr(r->request, "Expect:"));
	ora_reply_free(reply);
	ora_request_free(q);
	ora_client_close(c);
	free(big);
	free_owned();
}
END_TEST

START_TEST(net_socket_path_choice)
{
	struct ora_client *c;
	char longpath[200];

	setenv("ORA_SOCKET", "/tmp/from-env.sock", 1);
	ck_assert_int_eq(ora_client_open(NULL, &c), ORA_OK);
	ck_assert_str_eq(ora_client_socket_path(c), "/tmp/from-env.sock");
	ora_client_close(c);
	ck_assert_int_eq(ora_client_open("/tmp/given.sock", &c), ORA_OK);
	ck_assert_str_eq(ora_client_socket_path(c), "/tmp/given.sock");
	ora_client_close(c);
	unsetenv("ORA_SOCKET");
	ck_assert_int_eq(ora_client_open("", &c), ORA_OK);
	ck_assert_str_eq(ora_client_socket_path(c), ORA_DEFAULT_SOCKET);
	ora_client_close(c);
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	ck_assert_int_eq(ora_client_open(longpath, &c), ORA_E_INVALID);
	ck_assert_ptr_null(c);
	ora_client_close(NULL);
}
END_TEST

Suite *
client_net_suite(void)
{
	Suite *s = suite_create("client-net");
	TCase *tc = tcase_create("transport");

	/* Above the 5 s client timeout, so the test binary also runs by hand
	 * (check's own default is 4 s), and above the responder's wait. */
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, net_chat_whole);
	tcase_add_test(tc, net_stream_byte_by_byte);
	tcase_add_test(tc, net_stream_error_chunk);
	tcase_add_test(tc, net_stream_hangup);
	tcase_add_test(tc, net_stream_ends_after_done);
	tcase_add_test(tc, net_stream_cancel_by_callback);
	tcase_add_test(tc, net_cancel_check_while_silent);
	tcase_add_test(tc, net_timeout);
	tcase_add_test(tc, net_cut_short_keeps_generation);
	tcase_add_test(tc, net_timeout_keeps_header_generation);
	tcase_add_test(tc, net_generation_lookup);
	tcase_add_test(tc, net_too_large_html);
	tcase_add_test(tc, net_refusals);
	tcase_add_test(tc, net_unreachable);
	tcase_add_test(tc, net_models_me_raw);
	tcase_add_test(tc, net_stream_answered_whole);
	tcase_add_test(tc, net_large_body_sent_at_once);
	tcase_add_test(tc, net_socket_path_choice);
	suite_add_tcase(s, tc);
	return s;
}
