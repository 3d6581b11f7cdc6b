/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ledger_pg_allow.c: the allowance's holds, recorded in a file until the
 * shared ledger has them (see ledger_pg_allow.h).
 *
 * The file's content is kept in memory too: the lines from the start are
 * what waits, `delivered` marks how far the database has acknowledged.
 * The file is only appended to while anything in it waits (a rewrite
 * could lose lines in a crash) and emptied when all of it is delivered;
 * after a restart everything in it is delivered again, which the
 * database's key makes harmless.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "ledger/ledger_pg_allow.h"

/* A line longer than this is not one this file wrote. */
#define ALLOW_LINE_MAX 4096

/* What one budget row has taken of the allowance. */
struct allow_row {
	struct allow_row *next;
	char *scope, *name;
	int64_t period;
	int64_t used;
};

struct pg_allow {
	char *path;
	int fd;
	int64_t limit;
	char *buf; /* the file's lines */
	size_t len, cap;
	size_t delivered; /* the database has the lines before this */
	size_t batch_end; /* the batch in flight ends here */
	size_t waiting, batch_n;
	struct allow_row *rows;
};

/* One line, parsed: its strings point into the buffer, not terminated. */
struct allow_line {
	int64_t id, amount;
	size_t n;
	struct {
		const char *scope, *name;
		size_t scope_len, name_len;
		int64_t period;
	} part[ORA_SHARED_PARTS_MAX];
};

/* The next tab- or newline-ended field at *p, before end. */
static int
allow_field(const char **p, const char *end, const char **s, size_t *len)
{
	const char *q = *p;

	while (q < end && *q != '\t' && *q != '\n')
		q++;
	if (q >= end)
		return -1;
	*s = *p;
	*len = (size_t)(q - *p);
	*p = q + 1;
	return 0;
}

static int
allow_number(const char **p, const char *end, int64_t *v)
{
	const char *s;
	size_t len;
	char tmp[24], *e;

	if (allow_field(p, end, &s, &len) != 0 || len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	errno = 0;
	*v = strtoll(tmp, &e, 10);
	return errno != 0 || *e != '\0' ? -1 : 0;
}

/* Parse the line at p (before end); its length with the newline, or 0 when
 * it is not a whole, well-formed line. */
static size_t
allow_parse(const char *p, const char *end, struct allow_line *l)
{
	const char *start = p;
	int64_t n;

	if (allow_number(&p, end, &l->id) != 0 || allow_number(&p, end, &l->amount) != 0 ||
	    allow_number(&p, end, &n) != 0 || n < 1 || n > ORA_SHARED_PARTS_MAX || l->amount < 0)
		return 0;
	l->n = (size_t)n;
	for (size_t i = 0; i < l->n; i++)
		if (allow_field(&p, end, &l->part[i].scope, &l->part[i].scope_len) != 0 ||
		    allow_field(&p, end, &l->part[i].name, &l->part[i].name_len) != 0 ||
		    allow_number(&p, end, &l->part[i].period) != 0)
			return 0;
	if (p[-1] != '\n')
		return 0;
	return (size_t)(p - start);
}

static struct allow_row *
allow_row(struct pg_allow *a, const char *scope, size_t scope_len, const char *name,
    size_t name_len, int64_t period, int create)
{
	struct allow_row *r;

	for (r = a->rows; r != NULL; r = r->next)
		if (r->period == period && strlen(r->scope) == scope_len &&
		    memcmp(r->scope, scope, scope_len) == 0 && strlen(r->name) == name_len &&
		    memcmp(r->name, name, name_len) == 0)
			return r;
	if (!create)
		return NULL;
	r = ora_xcalloc(1, sizeof(*r));
	r->scope = ora_xcalloc(1, scope_len + 1);
	memcpy(r->scope, scope, scope_len);
	r->name = ora_xcalloc(1, name_len + 1);
	memcpy(r->name, name, name_len);
	r->period = period;
	r->next = a->rows;
	a->rows = r;
	return r;
}

static void
allow_rows_free(struct pg_allow *a)
{
	while (a->rows != NULL) {
		struct allow_row *r = a->rows;

		a->rows = r->next;
		free(r->scope);
		free(r->name);
		free(r);
	}
}

/* Count again what the lines not yet delivered take. */
static void
allow_recount(struct pg_allow *a)
{
	struct allow_line l;
	size_t off = a->delivered, n;

	allow_rows_free(a);
	a->waiting = 0;
	while (off < a->len && (n = allow_parse(a->buf + off, a->buf + a->len, &l)) > 0) {
		for (size_t i = 0; i < l.n; i++)
			allow_row(a, l.part[i].scope, l.part[i].scope_len, l.part[i].name,
			    l.part[i].name_len, l.part[i].period, 1)->used += l.amount;
		a->waiting++;
		off += n;
	}
}

static void
allow_append(struct pg_allow *a, const char *s, size_t n)
{
	if (a->len + n + 1 > a->cap) {
		a->cap = (a->len + n + 1) * 2;
		a->buf = ora_xrealloc(a->buf, a->cap);
	}
	memcpy(a->buf + a->len, s, n);
	a->len += n;
	a->buf[a->len] = '\0';
}

int
pg_allow_open(const char *path, int64_t limit, struct pg_allow **out, struct ora_error *err)
{
	struct pg_allow *a = ora_xcalloc(1, sizeof(*a));
	struct allow_line l;
	char chunk[8192];
	size_t good = 0, n;
	ssize_t got;

	*out = NULL;
	a->path = ora_xstrdup(path);
	a->limit = limit;
	a->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (a->fd < 0) {
		ora_error_set(err, "ledger: cannot open %s: %s", path, strerror(errno));
		goto fail;
	}
	while ((got = read(a->fd, chunk, sizeof(chunk))) > 0)
		allow_append(a, chunk, (size_t)got);
	if (got < 0) {
		ora_error_set(err, "ledger: cannot read %s: %s", path, strerror(errno));
		goto fail;
	}
	/* Whole lines only: a line torn by a crash is dropped (its request
	 * never went upstream: the line is written before it does). */
	while (good < a->len && (n = allow_parse(a->buf + good, a->buf + a->len, &l)) > 0)
		good += n;
	if (good < a->len) {
		ora_log_warning("ledger: %s: dropping %zu bytes after the last whole line", path,
		    a->len - good);
		if (ftruncate(a->fd, (off_t)good) != 0) {
			ora_error_set(err, "ledger: cannot truncate %s: %s", path, strerror(errno));
			goto fail;
		}
		a->len = good;
	}
	allow_recount(a);
	if (a->waiting > 0)
		ora_log_info("ledger: %zu requests admitted on the allowance wait to be charged to "
		             "the shared budgets", a->waiting);
	*out = a;
	return 0;
fail:
	pg_allow_free(a);
	return -1;
}

void
pg_allow_free(struct pg_allow *a)
{
	if (a == NULL)
		return;
	if (a->fd >= 0)
		close(a->fd);
	allow_rows_free(a);
	free(a->buf);
	free(a->path);
	free(a);
}

int
pg_allow_take(struct pg_allow *a, int64_t id, const struct ora_shared_part *parts, size_t n,
    int64_t amount)
{
	char line[ALLOW_LINE_MAX];
	size_t len;
	int w;

	if (n == 0 || n > ORA_SHARED_PARTS_MAX || amount < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct allow_row *r = allow_row(a, parts[i].scope, strlen(parts[i].scope),
		    parts[i].name, strlen(parts[i].name), parts[i].period_start_ms, 0);

		if ((r != NULL ? r->used : 0) + amount > a->limit)
			return -1;
		/* Names are policy names; one with a separator cannot be written. */
		if (strpbrk(parts[i].scope, "\t\n") != NULL || strpbrk(parts[i].name, "\t\n") != NULL)
			return -1;
	}
	w = snprintf(line, sizeof(line), "%lld\t%lld\t%zu", (long long)id, (long long)amount, n);
	for (size_t i = 0; i < n && w > 0 && (size_t)w < sizeof(line); i++)
		w += snprintf(line + w, sizeof(line) - (size_t)w, "\t%s\t%s\t%lld", parts[i].scope,
		    parts[i].name, (long long)parts[i].period_start_ms);
	if (w <= 0 || (size_t)w + 1 >= sizeof(line))
		return -1;
	line[w++] = '\n';
	len = (size_t)w;
	/* One write: the whole line or, torn by a crash, none that counts. */
	if (write(a->fd, line, len) != (ssize_t)len) {
		ora_log_error("ledger: cannot record a hold on the allowance in %s: %s", a->path,
		    strerror(errno));
		if (ftruncate(a->fd, (off_t)a->len) != 0)
			ora_log_error("ledger: cannot truncate %s: %s", a->path, strerror(errno));
		return -1;
	}
	allow_append(a, line, len);
	for (size_t i = 0; i < n; i++)
		allow_row(a, parts[i].scope, strlen(parts[i].scope), parts[i].name,
		    strlen(parts[i].name), parts[i].period_start_ms, 1)->used += amount;
	a->waiting++;
	return 0;
}

/* A growing PostgreSQL array literal. */
struct allow_array {
	char *s;
	size_t len, cap;
};

static void
array_add(struct allow_array *x, const char *v, size_t n, int quote)
{
	char sep = x->len == 0 ? '{' : ',';

	if (x->len + 2 * n + 8 > x->cap) {
		x->cap = (x->len + 2 * n + 8) * 2;
		x->s = ora_xrealloc(x->s, x->cap);
	}
	x->s[x->len++] = sep;
	if (quote)
		x->s[x->len++] = '"';
	for (size_t i = 0; i < n; i++) {
		if (quote && (v[i] == '"' || v[i] == '\\'))
			x->s[x->len++] = '\\';
		x->s[x->len++] = v[i];
	}
	if (quote)
		x->s[x->len++] = '"';
	x->s[x->len] = '\0';
}

static char *
array_end(struct allow_array *x)
{
	if (x->s == NULL)
		return ora_xstrdup("{}");
	x->s = ora_xrealloc(x->s, x->len + 2);
	x->s[x->len++] = '}';
	x->s[x->len] = '\0';
	return x->s;
}

size_t
pg_allow_batch(struct pg_allow *a, char *params[5])
{
	struct allow_array arr[5] = {{NULL, 0, 0}};
	struct allow_line l;
	size_t off = a->delivered, n, count = 0;
	char num[24];

	while (count < PG_ALLOW_BATCH && off < a->len &&
	    (n = allow_parse(a->buf + off, a->buf + a->len, &l)) > 0) {
		for (size_t i = 0; i < l.n; i++) {
			snprintf(num, sizeof(num), "%lld", (long long)l.id);
			array_add(&arr[0], num, strlen(num), 0);
			array_add(&arr[1], l.part[i].scope, l.part[i].scope_len, 1);
			array_add(&arr[2], l.part[i].name, l.part[i].name_len, 1);
			snprintf(num, sizeof(num), "%lld", (long long)l.part[i].period);
			array_add(&arr[3], num, strlen(num), 0);
			snprintf(num, sizeof(num), "%lld", (long long)l.amount);
			array_add(&arr[4], num, strlen(num), 0);
		}
		off += n;
		count++;
	}
	if (count == 0) {
		for (int i = 0; i < 5; i++)
			free(arr[i].s);
		return 0;
	}
	for (int i = 0; i < 5; i++)
		params[i] = array_end(&arr[i]);
	a->batch_end = off;
	a->batch_n = count;
	return count;
}

void
pg_allow_delivered(struct pg_allow *a)
{
	if (a->batch_end <= a->delivered)
		return;
	a->delivered = a->batch_end;
	if (a->delivered == a->len) {
		/* All of it is in the database: start the file afresh. Should
		 * this fail, the lines are delivered again, to no effect. */
		if (ftruncate(a->fd, 0) != 0)
			ora_log_error("ledger: cannot empty %s: %s", a->path, strerror(errno));
		else
			a->len = a->delivered = 0;
	}
	a->batch_end = a->delivered;
	allow_recount(a);
}

size_t
pg_allow_waiting(const struct pg_allow *a)
{
	return a != NULL ? a->waiting : 0;
}

int64_t
pg_allow_used(const struct pg_allow *a)
{
	int64_t most = 0;

	for (const struct allow_row *r = a != NULL ? a->rows : NULL; r != NULL; r = r->next)
		if (r->used > most)
			most = r->used;
	return most;
}

int64_t
pg_allow_limit(const struct pg_allow *a)
{
	return a != NULL ? a->limit : 0;
}
