/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ledger_fill.c: write ledger rows through the real ledger API, for the
 * report tests (orad's own rows depend on an upstream; these are exact).
 *
 *   ledger_fill LEDGER.db < ROWS
 *
 * One row a line, fields separated by '|', "-" for none:
 *
 *   state|started_ms|user|rule_match|role|cost_centre|key|model_requested|
 *   model_served|prompt|completion|reasoning|cost_pico|reserved_pico|estimated
 *
 * state is settled, unsettled or open (admitted, then settled in that
 * state unless open) or refused. Blank lines and lines starting with '#'
 * are skipped. Exit 0, or 1 with a message naming the line.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "ledger/ledger.h"

#define FILL_FIELDS 15

static const char *
fill_text(const char *s)
{
	return strcmp(s, "-") == 0 ? NULL : s;
}

static int
fill_int(const char *s, int64_t *out)
{
	char *end;

	*out = strtoll(s, &end, 10);
	return *s == '\0' || *end != '\0' ? -1 : 0;
}

static int
fill_row(struct ora_ledger *l, char *line, struct ora_error *err)
{
	char *f[FILL_FIELDS], *p = line;
	struct ora_ledger_entry e;
	int64_t n[FILL_FIELDS];
	const char *state;
	int i;

	for (i = 0; i < FILL_FIELDS; i++)
		if ((f[i] = strsep(&p, "|")) == NULL)
			return ora_error_set(err, "%d fields, not %d", i, FILL_FIELDS);
	if (p != NULL)
		return ora_error_set(err, "more than %d fields", FILL_FIELDS);
	for (i = 9; i < FILL_FIELDS; i++)
		if (fill_int(f[i], &n[i]) != 0)
			return ora_error_set(err, "field %d is not an integer: %s", i + 1, f[i]);
	if (fill_int(f[1], &n[1]) != 0)
		return ora_error_set(err, "started_ms is not an integer: %s", f[1]);
	memset(&e, 0, sizeof(e));
	state = f[0];
	e.started_ms = n[1];
	e.uid = 1000;
	e.user = fill_text(f[2]);
	e.rule_line = 1;
	e.rule_match = fill_text(f[3]);
	e.role = fill_text(f[4]);
	e.cost_centre = fill_text(f[5]);
	e.key_name = fill_text(f[6]);
	e.model_requested = fill_text(f[7]);
	e.reserved = n[13];
	e.client_pid = 4242;
	e.client_exe = "/usr/bin/ledger_fill";
	if (strcmp(state, "refused") == 0) {
		e.http_status = 402;
		e.outcome = "refused";
		e.reason = "budget";
		return ora_ledger_refuse(l, &e, err);
	}
	if (strcmp(state, "open") != 0 && strcmp(state, "settled") != 0 &&
	    strcmp(state, "unsettled") != 0)
		return ora_error_set(err, "unknown state %s", state);
	if (ora_ledger_admit(l, &e, err) != 0)
		return -1;
	if (strcmp(state, "open") == 0)
		return 0;
	e.state = state;
	e.settled_ms = e.started_ms + 1500;
	e.model_served = fill_text(f[8]);
	e.provider = "TestProvider";
	e.prompt_tokens = n[9];
	e.completion_tokens = n[10];
	e.reasoning_tokens = n[11];
	e.cost = n[12];
	e.estimated = (int)n[14];
	e.http_status = 200;
	e.outcome = "ok";
	e.latency_ms = 1500;
	return ora_ledger_settle(l, &e, err);
}

int
main(int argc, char **argv)
{
	struct ora_ledger *l = NULL;
	struct ora_error err;
	char *line = NULL;
	size_t size = 0;
	ssize_t len;
	long lineno = 0;
	int status = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: ledger_fill LEDGER.db < ROWS\n");
		return 2;
	}
	if (ora_ledger_open(argv[1], ORA_LEDGER_READ_WRITE, &l, &err) != 0) {
		fprintf(stderr, "ledger_fill: %s\n", err.msg);
		return 1;
	}
	while ((len = getline(&line, &size, stdin)) != -1) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		if (fill_row(l, line, &err) != 0) {
			fprintf(stderr, "ledger_fill: line %ld: %s\n", lineno, err.msg);
			goto out;
		}
	}
	status = 0;
out:
	free(line);
	ora_ledger_close(l);
	return status;
}
