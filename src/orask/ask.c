/*
 * ask.c: ask the question and print the answer as it arrives.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/util.h"
#include "orask/orask.h"

#define DIM "\033[2m"
#define RESET "\033[0m"

struct output {
	int json;   /* collect the answer instead of printing it */
	int tty;    /* stdout is a terminal */
	char *text; /* collected answer (json) */
	size_t len, cap;
	int wrote;          /* some of the answer went to stdout */
	char last;          /* the last byte written there */
	int show_reasoning; /* stderr is a terminal */
	int color;
	int in_reasoning; /* reasoning printed, answer not yet started */
};

static void
collect(struct output *out, const char *text, size_t len)
{
	if (out->len + len + 1 > out->cap) {
		out->cap = (out->len + len + 1) * 2;
		out->text = ora_xrealloc(out->text, out->cap);
	}
	memcpy(out->text + out->len, text, len);
	out->len += len;
	out->text[out->len] = '\0';
}

/* A model's answer is untrusted text: on a terminal, control characters
 * other than tab, newline and carriage return are shown as '?', so an
 * answer cannot move the cursor, retitle the window or worse. Pipes and
 * files get the exact bytes. */
static void
write_safely(const char *text, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)text[i];

		if ((ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') || ch == 0x7f)
			ch = '?';
		putchar(ch);
	}
}

static int
on_content(void *arg, const char *text, size_t len)
{
	struct output *out = arg;

	if (len == 0)
		return 0;
	if (out->json) {
		collect(out, text, len);
		return 0;
	}
	if (out->in_reasoning) {
		fputs(out->color ? RESET "\n\n" : "\n\n", stderr);
		out->in_reasoning = 0;
	}
	if (out->tty)
		write_safely(text, len);
	else
		fwrite(text, 1, len, stdout);
	/* Flushed per piece, so a pipe sees the answer as it arrives. */
	fflush(stdout);
	out->wrote = 1;
	out->last = text[len - 1];
	return 0;
}

/* Reasoning is for a person watching: shown on a terminal only, dimmed, and
 * never mixed into the answer on stdout. */
static int
on_reasoning(void *arg, const char *text, size_t len)
{
	struct output *out = arg;

	if (!out->show_reasoning || out->json)
		return 0;
	if (!out->in_reasoning && out->color)
		fputs(DIM, stderr);
	out->in_reasoning = 1;
	fwrite(text, 1, len, stderr);
	fflush(stderr);
	return 0;
}

static void
format_cost(char *buf, size_t size, double cost)
{
	char *end;

	snprintf(buf, size, "%.8f", cost);
	end = buf + strlen(buf) - 1;
	while (end > buf && *end == '0' && end[-1] != '.')
		*end-- = '\0';
}

static void
print_usage(const struct ora_reply *reply)
{
	char cost[64] = "unknown";

	if (reply->usage.has_cost)
		format_cost(cost, sizeof(cost), reply->usage.cost);
	fprintf(stderr, "orask: %s: %ld prompt + %ld completion = %ld tokens, cost $%s\n",
	    reply->model != NULL ? reply->model : "model unknown", reply->usage.prompt_tokens,
	    reply->usage.completion_tokens, reply->usage.total_tokens, cost);
}

static int
print_json(const struct ora_reply *reply, const char *text)
{
	struct json_object *o = json_object_new_object(), *u = json_object_new_object();
	char cost[64];

	json_object_object_add(o, "text", json_object_new_string(text != NULL ? text : ""));
	json_object_object_add(
	    o, "model", reply->model != NULL ? json_object_new_string(reply->model) : NULL);
	json_object_object_add(
	    u, "prompt_tokens", json_object_new_int64(reply->usage.prompt_tokens));
	json_object_object_add(
	    u, "completion_tokens", json_object_new_int64(reply->usage.completion_tokens));
	json_object_object_add(u, "total_tokens", json_object_new_int64(reply->usage.total_tokens));
	json_object_object_add(o, "usage", u);
	/* Printed as a person would write it (0.0000225, not 2.25e-05). */
	format_cost(cost, sizeof(cost), reply->usage.cost);
	json_object_object_add(o, "cost",
	    reply->usage.has_cost ? json_object_new_double_s(reply->usage.cost, cost) : NULL);
	json_object_object_add(o, "finish_reason",
	    reply->finish_reason != NULL ? json_object_new_string(reply->finish_reason) : NULL);
	puts(json_object_to_json_string_ext(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return ORASK_EXIT_OK;
}

static struct ora_request *
build_request(const struct orask_options *o, const char *question)
{
	struct ora_request *req = ora_request_new();

	if (req == NULL || ora_request_set_model(req, o->model) != ORA_OK ||
	    ora_request_set_system(req, o->system) != ORA_OK ||
	    ora_request_add_message(req, "user", question) != ORA_OK ||
	    (o->has_temperature && ora_request_set_temperature(req, o->temperature) != ORA_OK) ||
	    (o->max_tokens > 0 && ora_request_set_max_tokens(req, o->max_tokens) != ORA_OK)) {
		ora_request_free(req);
		return NULL;
	}
	return req;
}

int
orask_ask(struct ora_client *c, const struct orask_options *o, const char *question)
{
	struct output out = {0};
	struct ora_request *req;
	struct ora_reply *reply = NULL;
	enum ora_status r;
	int code = ORASK_EXIT_OK;

	out.json = o->json;
	out.tty = isatty(STDOUT_FILENO);
	out.show_reasoning = isatty(STDERR_FILENO);
	out.color = orask_use_color(STDERR_FILENO);
	if ((req = build_request(o, question)) == NULL) {
		orask_warn("cannot build the request (out of memory)");
		return ORASK_EXIT_FAIL;
	}
	if (o->stream)
		r = ora_client_chat_stream(c, req, on_content, on_reasoning, &out, &reply);
	else
		r = ora_client_chat(c, req, &reply);
	if (out.in_reasoning)
		fputs(out.color ? RESET "\n" : "\n", stderr);

	if (r == ORA_OK && !o->stream && !o->json)
		on_content(&out, reply->text, strlen(reply->text));
	/* End the answer with a newline, as every shell tool does; after an
	 * interruption too, so the prompt starts on a fresh line. */
	if ((out.wrote && out.last != '\n') || orask_interrupted)
		putchar('\n');
	fflush(stdout);

	if (r != ORA_OK) {
		code = orask_fail(c, r);
	} else {
		if (o->json)
			print_json(reply, o->stream ? out.text : reply->text);
		if (o->show_usage)
			print_usage(reply);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		orask_warn("cannot write the answer to standard output");
		if (code == ORASK_EXIT_OK)
			code = ORASK_EXIT_FAIL;
	}
	ora_reply_free(reply);
	ora_request_free(req);
	free(out.text);
	return code;
}
