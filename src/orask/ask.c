/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ask.c: ask the question and print the answer as it arrives.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include <sys/ioctl.h>

#include "common/util.h"
#include "orask/markdown.h"
#include "orask/orask.h"

#define DIM "\033[2m"
#define RESET "\033[0m"

struct output {
	int json;   /* collect the answer without printing it */
	int tty;    /* stdout is a terminal */
	char *text; /* the answer so far, for --json and the history */
	size_t len, cap;
	int wrote;          /* some of the answer went to stdout */
	char last;          /* the last byte written there */
	int show_reasoning; /* stderr is a terminal */
	int color;
	int in_reasoning;    /* reasoning printed, answer not yet started */
	struct orask_md *md; /* Markdown rendering, on a terminal */
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

static int
on_content(void *arg, const char *text, size_t len)
{
	struct output *out = arg;

	if (len == 0)
		return 0;
	collect(out, text, len);
	if (out->json)
		return 0;
	if (out->in_reasoning) {
		fputs(out->color ? RESET "\n\n" : "\n\n", stderr);
		out->in_reasoning = 0;
	}
	out->wrote = 1;
	if (out->md != NULL) {
		orask_md_feed(out->md, text, len);
		out->last = '\n'; /* rendered blocks end their lines */
		return 0;
	}
	orask_write_text(stdout, out->tty, text, len);
	/* Flushed per piece, so a pipe sees the answer as it arrives. */
	fflush(stdout);
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
print_usage(struct ora_client *c, const struct ora_reply *reply, const char *cid)
{
	char cost[64] = "unknown";

	if (reply->usage.has_cost)
		orask_format_cost(cost, sizeof(cost), reply->usage.cost);
	fprintf(stderr, "orask: %s: %ld prompt + %ld completion = %ld tokens, cost $%s%s%s\n",
	    reply->model != NULL ? reply->model : "model unknown", reply->usage.prompt_tokens,
	    reply->usage.completion_tokens, reply->usage.total_tokens, cost,
	    cid != NULL ? ", conversation " : "", cid != NULL ? cid : "");
	orask_print_budgets(c);
}

static int
print_json(const struct ora_reply *reply, const char *text, const char *cid)
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
	orask_format_cost(cost, sizeof(cost), reply->usage.cost);
	json_object_object_add(o, "cost",
	    reply->usage.has_cost ? json_object_new_double_s(reply->usage.cost, cost) : NULL);
	json_object_object_add(o, "finish_reason",
	    reply->finish_reason != NULL ? json_object_new_string(reply->finish_reason) : NULL);
	json_object_object_add(o, "conversation", cid != NULL ? json_object_new_string(cid) : NULL);
	puts(json_object_to_json_string_ext(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return ORASK_EXIT_OK;
}

/* The model and system prompt: those given now (or by a template), else
 * the conversation's, else orask.conf's defaults. */
static const char *
pick(const char *given, const char *remembered, const char *fallback)
{
	return given != NULL ? given : remembered != NULL ? remembered : fallback;
}

static struct ora_request *
build_request(
    const struct orask_options *o, const char *question, const struct orask_conversation *conv)
{
	struct ora_request *req = ora_request_new();
	size_t i;
	int bad;

	if (req == NULL)
		return NULL;
	bad = ora_request_set_model(req,
	          pick(o->model, conv != NULL ? conv->model : NULL, o->default_model)) != ORA_OK ||
	      ora_request_set_system(req,
	          pick(o->system, conv != NULL ? conv->system : NULL, o->default_system)) != ORA_OK;
	for (i = 0; conv != NULL && i < conv->n_messages && !bad; i++)
		bad = ora_request_add_message(
		          req, conv->messages[i].role, conv->messages[i].content) != ORA_OK;
	if (bad || ora_request_add_message(req, "user", question) != ORA_OK ||
	    (o->has_temperature && ora_request_set_temperature(req, o->temperature) != ORA_OK) ||
	    (o->max_tokens > 0 && ora_request_set_max_tokens(req, o->max_tokens) != ORA_OK)) {
		ora_request_free(req);
		return NULL;
	}
	return req;
}

/* orad lowers a max_tokens above the role's limit without a word: say
 * so, since an answer cut at the lower limit would otherwise puzzle. Asked
 * only when --max-tokens was given. */
static void
note_max_tokens(struct ora_client *c, const struct orask_options *o)
{
	struct ora_me *me;

	if (o->max_tokens <= 0 || ora_client_me(c, &me) != ORA_OK)
		return;
	if (me->max_tokens > 0 && me->max_tokens < o->max_tokens)
		orask_warn("note: the broker lowered max_tokens from %ld to %ld, your role's limit",
		    o->max_tokens, me->max_tokens);
	ora_me_free(me);
}

static void
tally(struct orask_tally *t, const struct ora_reply *reply)
{
	t->exchanges++;
	if (reply->usage.prompt_tokens > 0)
		t->prompt_tokens += reply->usage.prompt_tokens;
	if (reply->usage.completion_tokens > 0)
		t->completion_tokens += reply->usage.completion_tokens;
	if (reply->usage.has_cost) {
		t->cost += reply->usage.cost;
		t->has_cost = 1;
	}
}

/* How an exchange that failed ended, for the history: one that may have
 * been answered (and billed) in part is kept; a refusal is not. */
static int
outcome_of(enum ora_status r, enum orask_outcome *out)
{
	if (r == ORA_E_CANCELLED || orask_interrupted) {
		*out = ORASK_OUTCOME_INTERRUPTED;
		return 1;
	}
	if (r == ORA_E_UPSTREAM_MIDSTREAM || r == ORA_E_TIMEOUT) {
		*out = ORASK_OUTCOME_BROKEN;
		return 1;
	}
	return 0;
}

/* An answer cut short was probably billed for what was generated: keep
 * it with its generation id and whatever usage the broker reported, so
 * that orask log and show can fill in the cost once the broker knows it.
 * Read before anything else is asked of c, which would forget them. */
static void
record_cut_short(struct ora_client *c, struct orask_memory *mem, const struct orask_options *o,
    const char *question, const char *answer, enum orask_outcome outcome)
{
	struct ora_reply partial = {0};
	const char *id = ora_client_last_generation_id(c);

	ora_client_last_usage(c, &partial.usage);
	partial.id = id != NULL ? ora_xstrdup(id) : NULL;
	orask_memory_record(mem, o, question, answer, &partial, outcome);
	free(partial.id);
}

/* Markdown is rendered only for a person: stdout a terminal with colour,
 * and neither --raw nor markdown = "never". */
static struct orask_md *
markdown_for(const struct orask_options *o, int tty)
{
	struct winsize ws;

	if (!tty || o->raw || o->json || o->markdown_never || !orask_use_color(STDOUT_FILENO))
		return NULL;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0)
		ws.ws_col = 0;
	return orask_md_new(stdout, ws.ws_col);
}

int
orask_ask(struct ora_client *c, const struct orask_options *o, const char *question,
    struct orask_memory *mem)
{
	struct output out = {0};
	struct ora_request *req;
	struct ora_reply *reply = NULL;
	const char *cid;
	enum orask_outcome outcome;
	enum ora_status r;
	int code = ORASK_EXIT_OK;

	out.json = o->json;
	out.tty = isatty(STDOUT_FILENO);
	out.show_reasoning = isatty(STDERR_FILENO);
	out.color = orask_use_color(STDERR_FILENO);
	out.md = markdown_for(o, out.tty);
	if ((req = build_request(o, question, mem->conv)) == NULL) {
		orask_warn("cannot build the request (out of memory)");
		return ORASK_EXIT_FAIL;
	}
	if (o->stream)
		r = ora_client_chat_stream(c, req, on_content, on_reasoning, &out, &reply);
	else
		r = ora_client_chat(c, req, &reply);
	if (out.in_reasoning)
		fputs(out.color ? RESET "\n" : "\n", stderr);

	if (r == ORA_OK && !o->stream)
		on_content(&out, reply->text, strlen(reply->text));
	if (out.md != NULL)
		orask_md_finish(out.md); /* the rest, also after an interruption */
	/* End the answer with a newline, as every shell tool does; after an
	 * interruption too, so the prompt starts on a fresh line. */
	if ((out.wrote && out.last != '\n') || orask_interrupted)
		putchar('\n');
	fflush(stdout);

	if (r != ORA_OK) {
		code = orask_fail(c, r);
		if (r == ORA_E_TOO_LARGE && mem->conv != NULL && mem->conv->n_messages > 0)
			orask_warn("the conversation so far was sent too: start a new one "
			           "(without -c or --cid)");
		if (outcome_of(r, &outcome))
			record_cut_short(c, mem, o, question, out.text, outcome);
	} else {
		note_max_tokens(c, o);
		tally(&mem->tally, reply);
		orask_memory_record(mem, o, question, out.text, reply, ORASK_OUTCOME_COMPLETE);
		cid = mem->dir != NULL && mem->conv != NULL ? mem->conv->id : NULL;
		if (o->json)
			print_json(reply, out.text, cid);
		if (o->show_usage)
			print_usage(c, reply, cid);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		orask_warn("cannot write the answer to standard output");
		if (code == ORASK_EXIT_OK)
			code = ORASK_EXIT_FAIL;
	}
	ora_reply_free(reply);
	ora_request_free(req);
	orask_md_free(out.md);
	free(out.text);
	return code;
}
