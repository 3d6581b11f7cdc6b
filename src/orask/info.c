/*
 * info.c: `orask models`, `orask me` and `orask usage`.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int
orask_usage(struct ora_client *c)
{
	return print_raw(c, "/api/v1/usage", "this broker does not report usage yet");
}
