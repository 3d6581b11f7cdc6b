/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * cmd_report_out.c: `oractl report` as an aligned table, CSV or JSON.
 *
 * The three formats print the same columns in the same order, from one
 * table of metrics. Amounts are exact decimals in USD from
 * ora_money_format, never doubles; JSON adds the integer picodollars.
 */
#include "config.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/money.h"
#include "common/util.h"
#include "oractl/cmd_report.h"

enum metric_kind {
	METRIC_MONEY, /* picodollars: "<name>_usd" decimal, JSON also "<name>_pico" */
	METRIC_COUNT,
};

static const struct report_metric {
	const char *heading; /* table */
	const char *name;    /* CSV header and JSON key */
	enum metric_kind kind;
	size_t offset; /* of an int64_t in struct ora_ledger_sums */
} report_metrics[] = {
    {"SPEND", "spend", METRIC_MONEY, offsetof(struct ora_ledger_sums, spend)},
    {"REQUESTS", "requests", METRIC_COUNT, offsetof(struct ora_ledger_sums, requests)},
    {"REFUSED", "refused", METRIC_COUNT, offsetof(struct ora_ledger_sums, refused)},
    {"PROMPT", "prompt_tokens", METRIC_COUNT, offsetof(struct ora_ledger_sums, prompt_tokens)},
    {"COMPLETION", "completion_tokens", METRIC_COUNT,
        offsetof(struct ora_ledger_sums, completion_tokens)},
    {"REASONING", "reasoning_tokens", METRIC_COUNT,
        offsetof(struct ora_ledger_sums, reasoning_tokens)},
    {"ESTIMATED", "estimated", METRIC_COUNT, offsetof(struct ora_ledger_sums, estimated)},
    {"UNSETTLED", "unsettled", METRIC_COUNT, offsetof(struct ora_ledger_sums, unsettled)},
    {"RESERVED", "reserved", METRIC_MONEY, offsetof(struct ora_ledger_sums, reserved)},
};

#define N_METRICS (sizeof(report_metrics) / sizeof(report_metrics[0]))

static int64_t
metric_value(const struct ora_ledger_sums *s, const struct report_metric *m)
{
	int64_t v;

	memcpy(&v, (const char *)s + m->offset, sizeof(v));
	return v;
}

/* The value as text: an exact decimal for money, an integer for counts. */
static void
metric_text(
    const struct ora_ledger_sums *s, const struct report_metric *m, char *buf, size_t size)
{
	if (m->kind == METRIC_MONEY)
		ora_money_format(metric_value(s, m), buf, size);
	else
		snprintf(buf, size, "%" PRId64, metric_value(s, m));
}

/* ---- table ---- */

enum cell_align { ALIGN_LEFT, ALIGN_RIGHT, ALIGN_DECIMAL };

struct table_column {
	enum cell_align align;
	size_t width;      /* display columns */
	size_t int_width;  /* ALIGN_DECIMAL: widest part before the point */
	size_t frac_width; /* ALIGN_DECIMAL: widest point and fraction */
};

/* Columns a string takes on a UTF-8 terminal (wide characters aside). */
static size_t
display_width(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* Names in the ledger come partly from the upstream (served models): no
 * control character reaches the terminal. */
static char *
table_safe(const char *s)
{
	char *t = ora_xstrdup(s), *p;

	for (p = t; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return t;
}

static void
column_fit(struct table_column *col, const char *cell)
{
	const char *dot;
	size_t len = display_width(cell), ip;

	if (col->align == ALIGN_DECIMAL) {
		dot = strchr(cell, '.');
		ip = dot != NULL ? (size_t)(dot - cell) : len;
		if (ip > col->int_width)
			col->int_width = ip;
		if (len - ip > col->frac_width)
			col->frac_width = len - ip;
		len = col->int_width + col->frac_width;
	}
	if (len > col->width)
		col->width = len;
}

static void
cell_print(FILE *f, const struct table_column *col, const char *cell, int heading, int last)
{
	size_t len = display_width(cell), ip;
	const char *dot;

	if (col->align == ALIGN_LEFT) {
		fprintf(f, "%s%*s", cell, last ? 0 : (int)(col->width - len), "");
	} else if (col->align == ALIGN_RIGHT || heading) {
		fprintf(f, "%*s%s", (int)(col->width - len), "", cell);
	} else {
		/* Points under each other; the fraction is padded after. */
		dot = strchr(cell, '.');
		ip = dot != NULL ? (size_t)(dot - cell) : len;
		fprintf(f, "%*s%s%*s", (int)(col->width - col->frac_width - ip), "", cell,
		    last ? 0 : (int)(col->frac_width - (len - ip)), "");
	}
}

/* cells: n_lines lines of n_cols cells: headings, rows, total. */
static void
table_emit(FILE *f, char **cells, size_t n_lines, size_t n_cols, struct table_column *cols)
{
	size_t r, c;

	for (r = 0; r < n_lines; r++)
		for (c = 0; c < n_cols; c++)
			if (r > 0 || cols[c].align != ALIGN_DECIMAL)
				column_fit(&cols[c], cells[r * n_cols + c]);
	for (c = 0; c < n_cols; c++)
		if (cols[c].align == ALIGN_DECIMAL && display_width(cells[c]) > cols[c].width)
			cols[c].width = display_width(cells[c]);
	for (r = 0; r < n_lines; r++) {
		for (c = 0; c < n_cols; c++) {
			if (c > 0)
				fputs("  ", f);
			cell_print(f, &cols[c], cells[r * n_cols + c], r == 0, c == n_cols - 1);
		}
		fputc('\n', f);
	}
}

int
oractl_report_print_table(const struct oractl_report *r, FILE *f)
{
	size_t n_cols = r->n_by + N_METRICS, n_lines = r->n_rows + 2, i, c;
	char **cells = ora_xcalloc(n_lines * n_cols, sizeof(*cells));
	struct table_column *cols = ora_xcalloc(n_cols, sizeof(*cols));
	char from[ORACTL_DATE_TEXT_MAX], to[ORACTL_DATE_TEXT_MAX], buf[ORA_MONEY_TEXT_MAX];
	const struct ora_ledger_sums *s;
	char **line, *filter;

	for (c = 0; c < n_cols; c++) {
		if (c < r->n_by)
			cols[c].align = ALIGN_LEFT;
		else if (report_metrics[c - r->n_by].kind == METRIC_MONEY)
			cols[c].align = ALIGN_DECIMAL;
		else
			cols[c].align = ALIGN_RIGHT;
	}
	for (i = 0; i < n_lines; i++) {
		line = cells + i * n_cols;
		if (i == 0)
			s = NULL; /* the headings */
		else if (i == n_lines - 1)
			s = &r->total;
		else
			s = &r->rows[i - 1].sums;
		for (c = 0; c < r->n_by; c++) {
			if (i == 0)
				line[c] = ora_xstrdup(oractl_report_dim_heading(r->by[c]));
			else if (i == n_lines - 1)
				line[c] = ora_xstrdup(c == 0 ? "TOTAL" : "");
			else
				line[c] = table_safe(r->rows[i - 1].keys[c]);
		}
		for (c = 0; c < N_METRICS; c++) {
			if (i == 0) {
				line[r->n_by + c] = ora_xstrdup(report_metrics[c].heading);
				continue;
			}
			metric_text(s, &report_metrics[c], buf, sizeof(buf));
			line[r->n_by + c] = ora_xstrdup(buf);
		}
	}
	oractl_report_date_text(&r->from, from, sizeof(from));
	oractl_report_date_text(&r->to, to, sizeof(to));
	fprintf(f, "From %s to %s (%s)", from, to, r->timezone);
	/* Filters are the admin's own arguments, but still go to a terminal. */
	if (r->user != NULL) {
		filter = table_safe(r->user);
		fprintf(f, ", user %s", filter);
		free(filter);
	}
	if (r->cost_centre != NULL) {
		filter = table_safe(r->cost_centre);
		fprintf(f, ", cost centre %s", filter);
		free(filter);
	}
	fputs(", amounts in USD", f);
	fputc('\n', f);
	table_emit(f, cells, n_lines, n_cols, cols);
	for (i = 0; i < n_lines * n_cols; i++)
		free(cells[i]);
	free(cells);
	free(cols);
	return 0;
}

/* ---- CSV ---- */

void
oractl_report_csv_field(const char *s, FILE *f)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* RFC 4180: CRLF line ends, one header row, no total row (a spreadsheet
 * adds up the rows; a program reading rows must not count a total twice). */
int
oractl_report_print_csv(const struct oractl_report *r, FILE *f)
{
	char buf[ORA_MONEY_TEXT_MAX];
	size_t i, c;

	for (c = 0; c < r->n_by; c++)
		fprintf(f, "%s%s", c > 0 ? "," : "", oractl_report_dim_name(r->by[c]));
	for (c = 0; c < N_METRICS; c++)
		fprintf(f, ",%s%s", report_metrics[c].name,
		    report_metrics[c].kind == METRIC_MONEY ? "_usd" : "");
	fputs("\r\n", f);
	for (i = 0; i < r->n_rows; i++) {
		for (c = 0; c < r->n_by; c++) {
			if (c > 0)
				fputc(',', f);
			oractl_report_csv_field(r->rows[i].keys[c], f);
		}
		for (c = 0; c < N_METRICS; c++) {
			metric_text(&r->rows[i].sums, &report_metrics[c], buf, sizeof(buf));
			fprintf(f, ",%s", buf);
		}
		fputs("\r\n", f);
	}
	return 0;
}

/* ---- JSON ---- */

static void
json_add_sums(struct json_object *o, const struct ora_ledger_sums *s)
{
	char buf[ORA_MONEY_TEXT_MAX], *key;
	size_t c;

	for (c = 0; c < N_METRICS; c++) {
		const struct report_metric *m = &report_metrics[c];

		if (m->kind == METRIC_COUNT) {
			json_object_object_add(
			    o, m->name, json_object_new_int64(metric_value(s, m)));
			continue;
		}
		metric_text(s, m, buf, sizeof(buf));
		key = ora_xasprintf("%s_usd", m->name);
		json_object_object_add(o, key, json_object_new_string(buf));
		free(key);
		key = ora_xasprintf("%s_pico", m->name);
		json_object_object_add(o, key, json_object_new_int64(metric_value(s, m)));
		free(key);
	}
}

int
oractl_report_print_json(const struct oractl_report *r, FILE *f)
{
	struct json_object *root = json_object_new_object(), *by = json_object_new_array();
	struct json_object *rows = json_object_new_array(), *filter = json_object_new_object();
	struct json_object *row, *total = json_object_new_object();
	char from[ORACTL_DATE_TEXT_MAX], to[ORACTL_DATE_TEXT_MAX];
	size_t i, c;

	oractl_report_date_text(&r->from, from, sizeof(from));
	oractl_report_date_text(&r->to, to, sizeof(to));
	json_object_object_add(root, "from", json_object_new_string(from));
	json_object_object_add(root, "to", json_object_new_string(to));
	json_object_object_add(root, "timezone", json_object_new_string(r->timezone));
	json_object_object_add(root, "currency", json_object_new_string("USD"));
	for (c = 0; c < r->n_by; c++)
		json_object_array_add(by, json_object_new_string(oractl_report_dim_name(r->by[c])));
	json_object_object_add(root, "group_by", by);
	/* null when not given: the same keys in every report. */
	json_object_object_add(
	    filter, "user", r->user != NULL ? json_object_new_string(r->user) : NULL);
	json_object_object_add(filter, "cost_centre",
	    r->cost_centre != NULL ? json_object_new_string(r->cost_centre) : NULL);
	json_object_object_add(root, "filter", filter);
	for (i = 0; i < r->n_rows; i++) {
		row = json_object_new_object();
		for (c = 0; c < r->n_by; c++)
			json_object_object_add(row, oractl_report_dim_name(r->by[c]),
			    json_object_new_string(r->rows[i].keys[c]));
		json_add_sums(row, &r->rows[i].sums);
		json_object_array_add(rows, row);
	}
	json_object_object_add(root, "rows", rows);
	json_add_sums(total, &r->total);
	json_object_object_add(root, "total", total);
	fprintf(f, "%s\n",
	    json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	                                             JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return 0;
}
