/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * conversations.c: `orask log`, `orask show ID` and `orask rm ID`: the
 * history as a person reads it, or as JSON lines for a script.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/util.h"
#include "orask/orask.h"

#define BOLD "\033[1m"
#define DIM "\033[2m"
#define RESET "\033[0m"
#define LOG_DEFAULT 20

static const char *const outcome_names[] = {"complete", "interrupted", "broken off"};

static const char *
outcome_name(enum orask_outcome o)
{
	return (unsigned)o < sizeof(outcome_names) / sizeof(outcome_names[0]) ? outcome_names[o]
	                                                                      : "unknown";
}

/* Open the history (applying the retention of orask.conf); an exit code
 * with the reason printed. */
static int
open_history(const struct orask_options *o, struct orask_history **h)
{
	char msg[1024], *dir;
	enum orask_history_status r;

	*h = NULL;
	if ((dir = orask_history_default_dir()) == NULL) {
		orask_warn("no home directory, so no history: set XDG_STATE_HOME");
		return ORASK_EXIT_FAIL;
	}
	r = orask_history_open(dir, h, msg, sizeof(msg));
	free(dir);
	if (r == ORASK_HISTORY_OK)
		r = orask_history_retain(*h, o->keep_days, o->keep_conversations, msg, sizeof(msg));
	if (r != ORASK_HISTORY_OK) {
		orask_warn("%s", msg);
		orask_history_close(*h);
		*h = NULL;
		return ORASK_EXIT_FAIL;
	}
	return 0;
}

/* The question's first line, at most ORASK_LOG_QUESTION_MAX bytes, not cut
 * inside a UTF-8 character. */
static void
first_line(const char *question, char *out, size_t size)
{
	size_t n = strcspn(question, "\n"), len = strlen(question);

	if (n >= size)
		n = size - 1;
	while (n > 0 && n < len && ((unsigned char)question[n] & 0xc0) == 0x80)
		n--;
	memcpy(out, question, n);
	out[n] = '\0';
}

static void
when(char *buf, size_t size, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL || strftime(buf, size, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, size, "-");
}

static void
tokens(char *buf, size_t size, const struct orask_exchange *e)
{
	if (e->prompt_tokens >= 0 && e->completion_tokens >= 0)
		snprintf(buf, size, "%ld", e->prompt_tokens + e->completion_tokens);
	else
		snprintf(buf, size, "-");
}

/* The cost as a person reads it: "$0.0000225", "pending" while the
 * broker has not settled an interrupted exchange, "-" when unknown. */
static void
cost_text(char *buf, size_t size, const struct orask_exchange *e)
{
	if (orask_exchange_cost_pending(e))
		snprintf(buf, size, "pending");
	else
		orask_format_dollars(buf, size, e->has_cost, e->cost);
}

static struct json_object *
exchange_json(const struct orask_exchange *e, int whole)
{
	struct json_object *o = json_object_new_object();
	char first[ORASK_LOG_QUESTION_MAX + 1], cost[64];

	json_object_object_add(o, "time", json_object_new_int64(e->time));
	json_object_object_add(o, "conversation", json_object_new_string(e->cid));
	json_object_object_add(
	    o, "model", e->model != NULL ? json_object_new_string(e->model) : NULL);
	json_object_object_add(o, "prompt_tokens",
	    e->prompt_tokens >= 0 ? json_object_new_int64(e->prompt_tokens) : NULL);
	json_object_object_add(o, "completion_tokens",
	    e->completion_tokens >= 0 ? json_object_new_int64(e->completion_tokens) : NULL);
	orask_format_cost(cost, sizeof(cost), e->cost);
	json_object_object_add(
	    o, "cost", e->has_cost ? json_object_new_double_s(e->cost, cost) : NULL);
	json_object_object_add(
	    o, "cost_pending", json_object_new_boolean(orask_exchange_cost_pending(e)));
	json_object_object_add(o, "outcome", json_object_new_string(outcome_name(e->outcome)));
	json_object_object_add(
	    o, "generation", e->generation != NULL ? json_object_new_string(e->generation) : NULL);
	if (whole) {
		json_object_object_add(o, "question", json_object_new_string(e->question));
		json_object_object_add(
		    o, "answer", e->answer != NULL ? json_object_new_string(e->answer) : NULL);
	} else {
		first_line(e->question, first, sizeof(first));
		json_object_object_add(o, "question", json_object_new_string(first));
	}
	return o;
}

static void
put_json(struct json_object *o)
{
	puts(json_object_to_json_string_ext(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void
log_table(const struct orask_exchanges *x)
{
	int color = orask_use_color(STDOUT_FILENO), tty = isatty(STDOUT_FILENO);
	int cid_w = (int)strlen("CONVERSATION"), model_w = (int)strlen("MODEL");
	char first[ORASK_LOG_QUESTION_MAX + 1], at[32], tok[32], cost[72];
	size_t i;

	for (i = 0; i < x->n; i++) {
		if ((int)strlen(x->items[i].cid) > cid_w)
			cid_w = (int)strlen(x->items[i].cid);
		if (x->items[i].model != NULL && (int)strlen(x->items[i].model) > model_w)
			model_w = (int)strlen(x->items[i].model);
	}
	printf("%s%-16s  %-*s  %-*s  %7s  %-12s  %s%s\n", color ? BOLD : "", "TIME", cid_w,
	    "CONVERSATION", model_w, "MODEL", "TOKENS", "COST", "QUESTION", color ? RESET : "");
	for (i = 0; i < x->n; i++) {
		const struct orask_exchange *e = &x->items[i];

		when(at, sizeof(at), e->time);
		tokens(tok, sizeof(tok), e);
		cost_text(cost, sizeof(cost), e);
		printf("%-16s  %-*s  %-*s  %7s  %-12s  ", at, cid_w, e->cid, model_w,
		    e->model != NULL ? e->model : "-", tok, cost);
		if (e->outcome != ORASK_OUTCOME_COMPLETE)
			printf("(%s) ", outcome_name(e->outcome));
		first_line(e->question, first, sizeof(first));
		orask_write_text(stdout, tty, first, strlen(first));
		putchar('\n');
	}
}

int
orask_log(const struct orask_options *o, const struct orask_command *cmd)
{
	struct orask_exchanges x = {0};
	struct orask_history *h;
	enum orask_history_status r;
	char msg[1024];
	size_t i;
	int code;

	if ((code = open_history(o, &h)) != 0)
		return code;
	r = orask_history_log(
	    h, cmd->has_count ? cmd->count : LOG_DEFAULT, o->cid, o->query, &x, msg, sizeof(msg));
	if (r == ORASK_HISTORY_OK)
		orask_fill_costs(o, h, &x);
	orask_history_close(h);
	if (r != ORASK_HISTORY_OK) {
		orask_warn("%s", msg);
		return ORASK_EXIT_FAIL;
	}
	if (x.n == 0)
		fprintf(stderr, "orask: %s\n",
		    o->query != NULL || o->cid != NULL ? "no exchange matches"
		                                       : "no exchanges yet");
	else if (o->json)
		for (i = 0; i < x.n; i++)
			put_json(exchange_json(&x.items[i], 0));
	else
		log_table(&x);
	orask_exchanges_free(&x);
	return fflush(stdout) == 0 ? ORASK_EXIT_OK : ORASK_EXIT_FAIL;
}

static void
show_text(const char *id, const struct orask_exchanges *x)
{
	int color = orask_use_color(STDOUT_FILENO), tty = isatty(STDOUT_FILENO);
	char at[32], tok[32], cost[72];
	size_t i;

	printf("%sconversation %s%s", color ? BOLD : "", id, color ? RESET : "");
	printf(", model %s", x->model != NULL ? x->model : "(the role's default)");
	if (x->system != NULL) {
		printf(", system prompt: ");
		orask_write_text(stdout, tty, x->system, strlen(x->system));
	}
	putchar('\n');
	for (i = 0; i < x->n; i++) {
		const struct orask_exchange *e = &x->items[i];

		when(at, sizeof(at), e->time);
		tokens(tok, sizeof(tok), e);
		cost_text(cost, sizeof(cost), e);
		printf("\n%s[%s] question:%s\n", color ? BOLD : "", at, color ? RESET : "");
		orask_write_text(stdout, tty, e->question, strlen(e->question));
		printf("\n\n%s[%s, %s tokens, cost %s%s%s]:%s\n", color ? BOLD : "",
		    e->model != NULL ? e->model : "model unknown", tok, cost,
		    e->outcome != ORASK_OUTCOME_COMPLETE ? ", " : "",
		    e->outcome != ORASK_OUTCOME_COMPLETE ? outcome_name(e->outcome) : "",
		    color ? RESET : "");
		if (e->answer != NULL)
			orask_write_text(stdout, tty, e->answer, strlen(e->answer));
		else
			printf("%s(not kept)%s", color ? DIM : "", color ? RESET : "");
		putchar('\n');
	}
}

int
orask_show(const struct orask_options *o, const char *id)
{
	struct orask_exchanges x = {0};
	struct orask_history *h;
	struct json_object *root, *list;
	enum orask_history_status r;
	char msg[1024];
	size_t i;
	int code;

	if ((code = open_history(o, &h)) != 0)
		return code;
	r = orask_history_show(h, id, &x, msg, sizeof(msg));
	if (r == ORASK_HISTORY_OK)
		orask_fill_costs(o, h, &x);
	orask_history_close(h);
	if (r != ORASK_HISTORY_OK) {
		orask_warn("%s%s", msg,
		    r == ORASK_HISTORY_NOT_FOUND ? " (orask log lists the conversations)" : "");
		return ORASK_EXIT_FAIL;
	}
	if (o->json) {
		root = json_object_new_object();
		list = json_object_new_array();
		json_object_object_add(root, "conversation", json_object_new_string(id));
		json_object_object_add(
		    root, "model", x.model != NULL ? json_object_new_string(x.model) : NULL);
		json_object_object_add(
		    root, "system", x.system != NULL ? json_object_new_string(x.system) : NULL);
		for (i = 0; i < x.n; i++)
			json_object_array_add(list, exchange_json(&x.items[i], 1));
		json_object_object_add(root, "exchanges", list);
		put_json(root);
	} else {
		show_text(id, &x);
	}
	orask_exchanges_free(&x);
	return fflush(stdout) == 0 ? ORASK_EXIT_OK : ORASK_EXIT_FAIL;
}

int
orask_rm(const struct orask_options *o, const char *id)
{
	struct orask_history *h;
	enum orask_history_status r;
	char msg[1024];
	size_t n;
	int code;

	if ((code = open_history(o, &h)) != 0)
		return code;
	r = orask_history_rm(h, id, &n, msg, sizeof(msg));
	orask_history_close(h);
	if (r != ORASK_HISTORY_OK) {
		orask_warn("%s", msg);
		return ORASK_EXIT_FAIL;
	}
	fprintf(
	    stderr, "orask: removed conversation %s (%zu exchange%s)\n", id, n, n == 1 ? "" : "s");
	return ORASK_EXIT_OK;
}
