/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * cmd_admin.c: `oractl reload`, `oractl status` and `oractl metrics`: orad's
 * admin API over its socket.
 *
 * orad decides who may: root and members of daemon.admin_group, by the
 * socket's peer credentials. oractl checks nothing itself; it turns orad's
 * answers into sentences, and a refusal into who may do this instead.
 * These commands need only daemon.socket from the configuration file, so
 * they work with a file that has errors (orad runs with the one it loaded).
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "config/conf.h"
#include "oractl/http.h"
#include "oractl/oractl.h"

#define ADMIN_RELOAD_PATH "/api/v1/admin/reload"
#define ADMIN_STATUS_PATH "/api/v1/admin/status"
#define ADMIN_METRICS_PATH "/api/v1/admin/metrics"

/* Whether orad's answer has one of the statuses in ok (0-terminated);
 * otherwise says what went wrong and returns -1. */
static int
admin_answer(
    struct oractl *ctl, const char *path, const long *ok, const struct oractl_http_reply *rp)
{
	char msg[ORA_ERROR_MAX + 256];

	for (; *ok != 0; ok++)
		if (rp->status == *ok)
			return 0;
	if (rp->status == 404)
		oractl_error("this orad does not serve %s: it is older than this oractl (restart "
		             "orad after upgrading)",
		    path);
	else
		oractl_error("%s", oractl_orad_refusal(ctl, rp, msg, sizeof(msg)));
	return -1;
}

/* One admin call; -1 after saying what went wrong. */
static int
admin_call(struct oractl *ctl, const char *method, const char *path, const long *ok,
    struct oractl_http_reply *rp)
{
	struct ora_error err;

	if (oractl_orad(ctl, method, path, rp, &err) != 0) {
		oractl_error("%s", err.msg);
		return -1;
	}
	return admin_answer(ctl, path, ok, rp);
}

static struct json_object *
get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

static const char *
str(struct json_object *o, const char *key, const char *dflt)
{
	struct json_object *v = get(o, key);

	return v != NULL ? json_object_get_string(v) : dflt;
}

static long long
num(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	return v != NULL ? (long long)json_object_get_int64(v) : 0;
}

/* Each string of an array, as "PREFIX: item" on f. */
static void
print_each(FILE *f, struct json_object *list, const char *prefix)
{
	if (list == NULL || !json_object_is_type(list, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(list); i++)
		fprintf(f, "%s%s\n", prefix,
		    json_object_get_string(json_object_array_get_idx(list, i)));
}

int
oractl_reload(struct oractl *ctl, struct ora_error *unreachable)
{
	static const long ok[] = {200, 422, 0};
	struct oractl_http_reply rp = {0, NULL, 0, NULL};
	struct json_object *root = NULL, *e;
	int ret = -1;

	if (oractl_orad(ctl, "POST", ADMIN_RELOAD_PATH, &rp, unreachable) != 0)
		return 1;
	if (admin_answer(ctl, ADMIN_RELOAD_PATH, ok, &rp) != 0)
		goto out;
	root = json_tokener_parse(rp.body);
	if (rp.status == 200) {
		printf("configuration reloaded: generation %lld\n", num(root, "generation"));
		print_each(stdout, get(root, "warnings"), "warning: ");
		ret = 0;
		goto out;
	}
	e = get(root, "error");
	oractl_error("reload refused: %s",
	    str(e, "message",
	        "the configuration has errors; the previous configuration stays in "
	        "force"));
	print_each(stderr, get(e, "details"), "error: ");
	print_each(stderr, get(e, "warnings"), "warning: ");
out:
	json_object_put(root);
	oractl_http_reply_clear(&rp);
	return ret;
}

int
oractl_cmd_reload(struct oractl *ctl, int argc, char **argv)
{
	int first, status = ORACTL_EXIT_ERROR;
	struct ora_error err;

	if ((first = oractl_parse_options("reload", argc, argv, NULL, &status)) < 0)
		return status;
	if (first != argc) {
		oractl_error("reload takes no arguments");
		return oractl_usage("reload", 0);
	}
	switch (oractl_reload(ctl, &err)) {
	case 0:
		return ORACTL_EXIT_OK;
	case 1:
		oractl_error("%s", err.msg);
		break;
	}
	return ORACTL_EXIT_ERROR;
}

/* 93784 -> "1d 2h 3m 4s". */
static void
duration(long long s, char *buf, size_t size)
{
	long long d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60;

	if (d > 0)
		snprintf(buf, size, "%lldd %lldh %lldm", d, h, m);
	else if (h > 0)
		snprintf(buf, size, "%lldh %lldm", h, m);
	else if (m > 0)
		snprintf(buf, size, "%lldm %llds", m, s % 60);
	else
		snprintf(buf, size, "%llds", s < 0 ? 0 : s);
}

static void
status_print(struct json_object *root)
{
	struct json_object *cfg = get(root, "config"), *up = get(root, "upstream"),
	                   *cat = get(root, "catalog"), *led = get(root, "ledger"),
	                   *by_user = get(root, "in_flight_by_user"), *v;
	char up_for[64], age[64];
	int first = 1;

	duration(num(root, "uptime_s"), up_for, sizeof(up_for));
	printf("orad %s, pid %lld, up %s (since %s)\n", str(root, "version", "?"), num(root, "pid"),
	    up_for, str(root, "started_at", "?"));
	printf(
	    "configuration: %s, generation %lld\n", str(cfg, "path", "?"), num(cfg, "generation"));
	printf("connections: %lld open\n", num(root, "connections"));
	printf("in flight: %lld", num(root, "in_flight"));
	if (by_user != NULL && json_object_is_type(by_user, json_type_object)) {
		json_object_object_foreach(by_user, user, count)
		{
			printf("%s%s %lld", first ? " (" : ", ", user,
			    (long long)json_object_get_int64(count));
			first = 0;
		}
		if (!first)
			printf(")");
	}
	printf("\nrequests since start: %lld\n", num(root, "requests_total"));

	v = get(up, "healthy");
	printf("upstream: %s: %s", str(up, "base_url", "?"),
	    v == NULL                    ? "health unknown"
	    : json_object_get_boolean(v) ? "healthy"
	                                 : "UNHEALTHY");
	if ((v = get(up, "latency_ms_avg")) != NULL)
		printf(", latency %.*f ms on average", json_object_get_double(v) < 10 ? 1 : 0,
		    json_object_get_double(v));
	printf("\n  last success: %s\n", str(up, "last_success_at", "never"));
	if (get(up, "last_failure_at") != NULL)
		printf("  last failure: %s: %s (%lld in a row since)\n",
		    str(up, "last_failure_at", "?"), str(up, "last_failure", "?"),
		    num(up, "consecutive_failures"));

	if (get(cat, "loaded_at") != NULL) {
		duration(num(cat, "age_s"), age, sizeof(age));
		printf("catalog: %lld models, loaded %s (%s ago)\n", num(cat, "models"),
		    str(cat, "loaded_at", "?"), age);
	} else {
		printf("catalog: not loaded yet\n");
	}

	if ((v = get(led, "enabled")) != NULL && !json_object_get_boolean(v))
		printf("ledger: off (daemon.ledger = false)\n");
	else
		printf("ledger: %s, %lld rows, %lld unsettled, %lld bytes\n", str(led, "path", "?"),
		    num(led, "rows"), num(led, "unsettled"), num(led, "bytes"));
	if (num(led, "pending_writes") > 0)
		printf("ledger: %lld writes not yet in the database (it cannot be written: see "
		       "orad's log)\n",
		    num(led, "pending_writes"));
	if ((v = get(led, "shared")) != NULL) {
		struct json_object *c = get(v, "connected");

		if (num(v, "waiting") < 0)
			printf("shared ledger (PostgreSQL): %s, rows waiting not counted yet, %lld "
			       "shipped since start\n",
			    c != NULL && json_object_get_boolean(c) ? "connected" : "unreachable",
			    num(v, "shipped"));
		else
			printf("shared ledger (PostgreSQL): %s, %lld rows waiting, %lld shipped since "
			       "start\n",
			    c != NULL && json_object_get_boolean(c) ? "connected" : "unreachable",
			    num(v, "waiting"), num(v, "shipped"));
		if (num(v, "audit_waiting") > 0)
			printf("shared ledger (PostgreSQL): %lld of orad's audit entries (reloads) "
			       "waiting\n",
			    num(v, "audit_waiting"));
		if ((c = get(v, "budgets_connected")) != NULL)
			printf("shared budgets: %s, %lld requests waiting for a reservation\n",
			    json_object_get_boolean(c) ? "connected" :
			    num(v, "allowance_pico") > 0 ? "unreachable (requests with a budget are "
			    "admitted on this host's allowance, then refused)" : "unreachable (requests "
			    "with a budget are refused)", num(v, "budgets_waiting"));
		if (get(v, "allowance_pico") != NULL && num(v, "allowance_pico") == 0)
			printf("allowance: none now (unavailable = \"refuse\"), %lld requests admitted "
			       "on an earlier one wait to be charged to the shared budgets\n",
			    num(v, "allowance_waiting"));
		else if (get(v, "allowance_pico") != NULL) {
			char used[ORA_MONEY_TEXT_MAX], limit[ORA_MONEY_TEXT_MAX];

			ora_money_format(num(v, "allowance_used_pico"), used, sizeof(used));
			ora_money_format(num(v, "allowance_pico"), limit, sizeof(limit));
			printf("allowance: $%s of $%s taken on the most used budget, %lld requests "
			       "admitted on it wait to be charged to the shared budgets\n",
			    used, limit, num(v, "allowance_waiting"));
		}
	}
	printf("reconciliation backlog: %lld\n", num(root, "reconcile_backlog"));
}

int
oractl_cmd_status(struct oractl *ctl, int argc, char **argv)
{
	static const long ok[] = {200, 0};
	int json = 0, first, status = ORACTL_EXIT_ERROR;
	const struct oractl_option options[] = {{"json", &json}, {NULL, NULL}};
	struct oractl_http_reply rp = {0, NULL, 0, NULL};
	struct json_object *root = NULL;

	if ((first = oractl_parse_options("status", argc, argv, options, &status)) < 0)
		return status;
	if (first != argc) {
		oractl_error("status takes no arguments");
		return oractl_usage("status", 0);
	}
	if (admin_call(ctl, "GET", ADMIN_STATUS_PATH, ok, &rp) != 0)
		goto out;
	if (json) {
		fputs(rp.body, stdout);
		if (rp.len == 0 || rp.body[rp.len - 1] != '\n')
			fputc('\n', stdout);
		status = ORACTL_EXIT_OK;
		goto out;
	}
	if ((root = json_tokener_parse(rp.body)) == NULL ||
	    !json_object_is_type(root, json_type_object)) {
		oractl_error(
		    "orad's status is not JSON; see it as it is with `oractl status --json`");
		goto out;
	}
	status_print(root);
	status = ORACTL_EXIT_OK;
out:
	json_object_put(root);
	oractl_http_reply_clear(&rp);
	return status;
}

int
oractl_cmd_metrics(struct oractl *ctl, int argc, char **argv)
{
	static const long ok[] = {200, 0};
	struct oractl_http_reply rp = {0, NULL, 0, NULL};
	int first, status = ORACTL_EXIT_ERROR;

	if ((first = oractl_parse_options("metrics", argc, argv, NULL, &status)) < 0)
		return status;
	if (first != argc) {
		oractl_error("metrics takes no arguments");
		return oractl_usage("metrics", 0);
	}
	if (admin_call(ctl, "GET", ADMIN_METRICS_PATH, ok, &rp) == 0) {
		fwrite(rp.body, 1, rp.len, stdout);
		status = ORACTL_EXIT_OK;
	}
	oractl_http_reply_clear(&rp);
	return status;
}
