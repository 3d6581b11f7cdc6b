/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * info.c: `orask models`, `orask me` and `orask usage`, and the budgets -u
 * prints after an answer.
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
#define RESET "\033[0m"

/* USD per token as USD per million tokens, with at least two decimals and
 * no noise: 0.15, 0.60, 15.00, 0.075. */
static void
per_million(char *buf, size_t size, double per_token)
{
	char *end;

	snprintf(buf, size, "%.6f", per_token * 1e6);
	end = buf + strlen(buf) - 1;
	while (*end == '0' && end[-1] != '.' && end[-2] != '.')
		*end-- = '\0';
}

static int
by_id(const void *a, const void *b)
{
	const struct ora_model *const *x = a, *const *y = b;

	return strcmp((*x)->id, (*y)->id);
}

/* Print the broker's JSON answer to path, indented for a person. if_404,
 * when not NULL, explains a broker that lacks the path. */
static int
print_raw(struct ora_client *c, const char *path, const char *if_404)
{
	struct json_object *root;
	enum ora_status r;
	char *body = NULL;
	long status;

	if ((r = ora_client_request(c, "GET", path, NULL, 0, &status, &body, NULL)) != ORA_OK) {
		free(body);
		if (r == ORA_E_NOT_FOUND && status == 404 && if_404 != NULL) {
			orask_warn("%s", if_404);
			return ORASK_EXIT_FAIL;
		}
		return orask_fail(c, r);
	}
	if ((root = json_tokener_parse(body)) != NULL)
		puts(json_object_to_json_string_ext(
		    root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		fputs(body, stdout);
	json_object_put(root);
	free(body);
	return ORASK_EXIT_OK;
}

/* The site's aliases you may use (from /api/v1/me), after the models, in
 * the same two leading columns so completion offers them as well. */
static void
print_aliases(struct ora_client *c, int color)
{
	struct json_object *root = NULL, *aliases;
	char *body = NULL;
	long status;

	if (ora_client_request(c, "GET", "/api/v1/me", NULL, 0, &status, &body, NULL) != ORA_OK ||
	    (root = json_tokener_parse(body)) == NULL ||
	    !json_object_object_get_ex(root, "aliases", &aliases) ||
	    json_object_object_length(aliases) == 0)
		goto out;
	printf("\n%s%-15s  %s%s\n", color ? BOLD : "", "ALIAS", "STANDS FOR", color ? RESET : "");
	json_object_object_foreach(aliases, name, model)
	    printf("%-15s  %s\n", name, json_object_get_string(model));
out:
	json_object_put(root);
	free(body);
}

int
orask_models(struct ora_client *c, int json)
{
	struct ora_model_list *list;
	char prompt[32], completion[32], context[32];
	int id_w = (int)strlen("MODEL"), color = orask_use_color(STDOUT_FILENO);
	enum ora_status r;
	size_t i;

	if (json)
		return print_raw(c, "/api/v1/models", NULL);
	if ((r = ora_client_models(c, &list)) != ORA_OK)
		return orask_fail(c, r);
	qsort(list->models, list->count, sizeof(list->models[0]), by_id);
	for (i = 0; i < list->count; i++)
		if ((int)strlen(list->models[i]->id) > id_w)
			id_w = (int)strlen(list->models[i]->id);
	printf("%s%-*s  %9s  %12s  %12s  %s%s\n", color ? BOLD : "", id_w, "MODEL", "CONTEXT",
	    "PROMPT $/M", "OUTPUT $/M", "NAME", color ? RESET : "");
	for (i = 0; i < list->count; i++) {
		const struct ora_model *m = list->models[i];

		per_million(prompt, sizeof(prompt), m->prompt_price);
		per_million(completion, sizeof(completion), m->completion_price);
		if (m->context_length >= 0)
			snprintf(context, sizeof(context), "%ld", m->context_length);
		else
			snprintf(context, sizeof(context), "-");
		printf("%-*s  %9s  %12s  %12s  %s\n", id_w, m->id, context, prompt, completion,
		    m->name != NULL ? m->name : "");
	}
	if (list->count == 0)
		fprintf(stderr, "orask: the broker lists no models for you\n");
	ora_model_list_free(list);
	print_aliases(c, color);
	return ORASK_EXIT_OK;
}

static void
field(int color, const char *key, const char *value)
{
	printf("%s%-15s%s %s\n", color ? BOLD : "", key, color ? RESET : "",
	    value != NULL ? value : "-");
}

static void
list_field(int color, const char *key, char **items, size_t n)
{
	size_t i;

	printf("%s%-15s%s", color ? BOLD : "", key, color ? RESET : "");
	for (i = 0; i < n; i++)
		printf(" %s", items[i]);
	printf("%s\n", n == 0 ? " -" : "");
}

static void
number_field(int color, const char *key, long value)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", value);
	field(color, key, value >= 0 ? buf : NULL);
}

int
orask_me(struct ora_client *c, int json)
{
	struct ora_me *me;
	int color = orask_use_color(STDOUT_FILENO);
	enum ora_status r;
	char buf[512];

	if (json)
		return print_raw(c, "/api/v1/me", NULL);
	if ((r = ora_client_me(c, &me)) != ORA_OK)
		return orask_fail(c, r);
	snprintf(buf, sizeof(buf), "%s (uid %ld, gid %ld)", me->user != NULL ? me->user : "?",
	    me->uid, me->gid);
	field(color, "user", buf);
	list_field(color, "groups", me->groups, me->n_groups);
	if (me->rule_line >= 0)
		snprintf(buf, sizeof(buf), "line %ld: %s", me->rule_line,
		    me->rule_match != NULL ? me->rule_match : "?");
	field(color, "rule", me->rule_line >= 0 ? buf : me->rule_match);
	field(color, "role", me->role);
	field(color, "cost centre", me->cost_centre);
	list_field(color, "cost centres", me->cost_centres, me->n_cost_centres);
	list_field(color, "models", me->models, me->n_models);
	field(color, "default model", me->default_model);
	number_field(color, "max tokens", me->max_tokens);
	number_field(color, "requests/min", me->requests_per_minute);
	number_field(color, "concurrent", me->concurrent_requests);
	ora_me_free(me);
	return ORASK_EXIT_OK;
}

/* ---- budgets ----------------------------------------------------------- */

/* What orask reads of the broker's /api/v1/usage: an array "budgets" of
 * objects with "scope" and "name" (what the budget is for), "period",
 * "limit", "spent", "reserved", "remaining" (USD, as numbers or decimal
 * strings) and "resets_at" (a date string, seconds since the epoch, or
 * null for a budget that never resets), as orad sends them. Anything
 * missing shows as "-"; "remaining" defaults to limit - spent - reserved.
 * A broker on a ledger shared by many hosts adds "organisation" (the same
 * figures across every host, as of a time): those are shown, since they
 * are what the budget admits against, with this host's spend beside. */
struct budget_line {
	char label[160];
	char period[32];
	char limit[72], spent[72], reserved[72], left[72];
	char resets[64];
	int shared;         /* the figures are the organisation's */
	char host_spent[72]; /* this host's part, when shared */
	char as_of[40];
};

static int
money(struct json_object *o, const char *key, double *out)
{
	struct json_object *v;
	const char *s;
	char *end;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)) {
		*out = json_object_get_double(v);
		return 1;
	}
	if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		*out = strtod(s, &end);
		return end != s && *end == '\0';
	}
	return 0;
}

static const char *
string_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* An amount in USD with at least two decimals and no noise: $10.00,
 * $8.70, $0.0000225; "-" when unknown. */
void
orask_format_dollars(char *buf, size_t size, int have, double value)
{
	char *end;

	if (!have) {
		snprintf(buf, size, "-");
		return;
	}
	snprintf(buf, size, "$%.8f", value);
	end = buf + strlen(buf) - 1;
	while (*end == '0' && end[-1] != '.' && end[-2] != '.')
		*end-- = '\0';
}

/* Text from the broker goes to a terminal: no control characters. */
static void
sanitize(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

static void
budget_line(struct json_object *b, struct budget_line *l)
{
	double limit = 0, spent = 0, reserved = 0, left = 0;
	int has_limit = money(b, "limit", &limit), has_spent = money(b, "spent", &spent),
	    has_reserved = money(b, "reserved", &reserved), has_left = money(b, "remaining", &left);
	const char *scope = string_of(b, "scope"), *name = string_of(b, "name"), *s;
	struct json_object *v, *org;
	time_t when;

	l->shared = json_object_object_get_ex(b, "organisation", &org) &&
	            json_object_is_type(org, json_type_object);
	if (l->shared) {
		orask_format_dollars(l->host_spent, sizeof(l->host_spent), has_spent, spent);
		snprintf(l->as_of, sizeof(l->as_of), "%s",
		    (s = string_of(org, "as_of")) != NULL ? s : "-");
		sanitize(l->as_of);
		has_spent = money(org, "spent", &spent);
		has_reserved = money(org, "reserved", &reserved);
		has_left = money(org, "remaining", &left);
	}

	snprintf(l->label, sizeof(l->label), "%s%s%s", scope != NULL ? scope : "budget",
	    name != NULL ? " " : "", name != NULL ? name : "");
	snprintf(
	    l->period, sizeof(l->period), "%s", (s = string_of(b, "period")) != NULL ? s : "-");
	if (!has_left && has_limit) {
		left = limit - spent - reserved;
		has_left = 1;
	}
	orask_format_dollars(l->limit, sizeof(l->limit), has_limit, limit);
	orask_format_dollars(l->spent, sizeof(l->spent), has_spent, spent);
	orask_format_dollars(l->reserved, sizeof(l->reserved), has_reserved, reserved);
	orask_format_dollars(l->left, sizeof(l->left), has_left, left);
	snprintf(l->resets, sizeof(l->resets), "-");
	if (json_object_object_get_ex(b, "resets_at", &v) && v == NULL) {
		snprintf(l->resets, sizeof(l->resets), "never"); /* a total, not a period */
	} else if ((s = string_of(b, "resets_at")) != NULL) {
		snprintf(l->resets, sizeof(l->resets), "%s", s);
	} else if (json_object_object_get_ex(b, "resets_at", &v) &&
	           json_object_is_type(v, json_type_int)) {
		when = (time_t)json_object_get_int64(v);
		strftime(l->resets, sizeof(l->resets), "%Y-%m-%d %H:%M %Z", localtime(&when));
	}
	sanitize(l->label);
	sanitize(l->period);
	sanitize(l->resets);
}

/* GET /api/v1/usage: its "budgets" (NULL when absent) in *root. Returns
 * the status; ORA_E_NOT_FOUND from a broker without the path. */
static enum ora_status
fetch_usage(
    struct ora_client *c, struct json_object **root, struct json_object **budgets, char **body)
{
	enum ora_status r;
	long status;

	*root = *budgets = NULL;
	if ((r = ora_client_request(c, "GET", "/api/v1/usage", NULL, 0, &status, body, NULL)) !=
	    ORA_OK)
		return r;
	if ((*root = json_tokener_parse(*body)) != NULL &&
	    (!json_object_object_get_ex(*root, "budgets", budgets) ||
	        !json_object_is_type(*budgets, json_type_array)))
		*budgets = NULL;
	return ORA_OK;
}

void
orask_print_budgets(struct ora_client *c)
{
	struct json_object *root, *budgets;
	struct budget_line l;
	char *body = NULL;
	size_t i;

	/* A broker without budgets (404), or any failure: tokens and cost
	 * were all there is to say. */
	if (fetch_usage(c, &root, &budgets, &body) == ORA_OK && budgets != NULL)
		for (i = 0; i < json_object_array_length(budgets); i++) {
			budget_line(json_object_array_get_idx(budgets, i), &l);
			fprintf(stderr, "orask: budget %s (%s): %s left of %s%s, resets %s\n",
			    l.label, l.period, l.left, l.limit, l.shared ? " across all hosts" : "",
			    l.resets);
		}
	json_object_put(root);
	free(body);
}

int
orask_usage(struct ora_client *c, int json)
{
	struct json_object *root, *budgets;
	struct budget_line l;
	int color = orask_use_color(STDOUT_FILENO), w = (int)strlen("BUDGET"), shared = 0;
	const char *host;
	char as_of[40] = "-", host_text[128] = "";
	enum ora_status r;
	char *body = NULL;
	size_t i, n;

	if (json)
		return print_raw(c, "/api/v1/usage", "this broker does not report usage yet");
	if ((r = fetch_usage(c, &root, &budgets, &body)) != ORA_OK) {
		free(body);
		if (r == ORA_E_NOT_FOUND && ora_client_last_http_status(c) == 404) {
			orask_warn("this broker does not report usage yet");
			return ORASK_EXIT_FAIL;
		}
		return orask_fail(c, r);
	}
	if (budgets == NULL) {
		/* Not the shape above: show what the broker said. */
		if (root != NULL)
			puts(json_object_to_json_string_ext(
			    root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(root);
		free(body);
		return ORASK_EXIT_OK;
	}
	n = json_object_array_length(budgets);
	for (i = 0; i < n; i++) {
		budget_line(json_object_array_get_idx(budgets, i), &l);
		if ((int)strlen(l.label) > w)
			w = (int)strlen(l.label);
		if (l.shared) {
			shared = 1;
			snprintf(as_of, sizeof(as_of), "%s", l.as_of);
		}
	}
	if (n > 0) {
		printf("%s%-*s  %-8s  %12s  %12s  %12s  %12s  ", color ? BOLD : "", w, "BUDGET",
		    "PERIOD", "LIMIT", "SPENT", "RESERVED", "LEFT");
		if (shared)
			printf("%12s  ", "THIS HOST");
		printf("%s%s\n", "RESETS", color ? RESET : "");
	}
	for (i = 0; i < n; i++) {
		budget_line(json_object_array_get_idx(budgets, i), &l);
		printf("%-*s  %-8s  %12s  %12s  %12s  %12s  ", w, l.label, l.period, l.limit,
		    l.spent, l.reserved, l.left);
		if (shared)
			printf("%12s  ", l.shared ? l.host_spent : "-");
		printf("%s\n", l.resets);
	}
	if (n == 0)
		fprintf(stderr, "orask: no budget applies to you\n");
	else if (shared) {
		if ((host = string_of(root, "host")) != NULL) {
			snprintf(host_text, sizeof(host_text), " (%s)", host);
			sanitize(host_text);
		}
		fprintf(stderr,
		    "orask: budgets shared by every host: SPENT, RESERVED and LEFT across all of "
		    "them as of %s; THIS HOST: spent through this broker%s\n",
		    as_of, host_text);
	}
	json_object_put(root);
	free(body);
	return ORASK_EXIT_OK;
}

/* ---- templates ------------------------------------------------------------ */

int
orask_templates(const struct orask_settings *s, int json)
{
	int color = orask_use_color(STDOUT_FILENO), w = (int)strlen("TEMPLATE"),
	    mw = (int)strlen("MODEL");
	char first[80];
	size_t i;

	if (s->n_templates == 0) {
		fprintf(stderr, "orask: no templates in %s (orask(1), CONFIGURATION)\n",
		    s->path != NULL ? s->path : "orask.conf");
		return ORASK_EXIT_OK;
	}
	for (i = 0; i < s->n_templates; i++) {
		if ((int)strlen(s->templates[i].name) > w)
			w = (int)strlen(s->templates[i].name);
		if (s->templates[i].model != NULL && (int)strlen(s->templates[i].model) > mw)
			mw = (int)strlen(s->templates[i].model);
	}
	if (!json)
		printf("%s%-*s  %-*s  %s%s\n", color ? BOLD : "", w, "TEMPLATE", mw, "MODEL",
		    "SYSTEM PROMPT", color ? RESET : "");
	for (i = 0; i < s->n_templates; i++) {
		const struct orask_template *t = &s->templates[i];
		struct json_object *o;

		if (json) {
			o = json_object_new_object();
			json_object_object_add(o, "name", json_object_new_string(t->name));
			json_object_object_add(
			    o, "model", t->model != NULL ? json_object_new_string(t->model) : NULL);
			json_object_object_add(o, "system",
			    t->system != NULL ? json_object_new_string(t->system) : NULL);
			json_object_object_add(o, "cost_centre",
			    t->cost_centre != NULL ? json_object_new_string(t->cost_centre) : NULL);
			json_object_object_add(o, "temperature",
			    t->has_temperature ? json_object_new_double(t->temperature) : NULL);
			json_object_object_add(o, "max_tokens",
			    t->max_tokens > 0 ? json_object_new_int64(t->max_tokens) : NULL);
			puts(json_object_to_json_string_ext(
			    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
			json_object_put(o);
			continue;
		}
		snprintf(first, sizeof(first), "%s", t->system != NULL ? t->system : "-");
		first[strcspn(first, "\n")] = '\0';
		sanitize(first);
		printf(
		    "%-*s  %-*s  %s\n", w, t->name, mw, t->model != NULL ? t->model : "-", first);
	}
	return ORASK_EXIT_OK;
}
