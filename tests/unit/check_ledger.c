/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_ledger.c: the ledger as its users see it: rows in SQLite exactly as
 * written, in every mode; the broker's intent log (ORA_LEDGER_LOGGED) that
 * makes a write durable before it reaches SQLite, replays what a killed
 * broker left, never replays a record twice, stops at a torn record, keeps
 * one process at a time and room for settlements when it fills up; and the
 * checkpointer thread that copies the WAL back into the database.
 *
 * Each test works in a directory of its own under /tmp. A broker killed
 * with -9 is a child process that SIGKILLs itself: no commit, no close, no
 * atexit handler runs. Children never call ck_assert (they would report
 * into the parent's test); they exit with the number of the step that
 * failed instead.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "ledger/ledger.h"
#include "ledger/ledger_log.h"
#include "ledger/ledger_sqlite.h"

/* The intent log's record layout, as ledger_log.c writes it: a header,
 * then the payload padded to 8 bytes. */
#define LOG_MAGIC 0x4c41524fu /* "ORAL" */
#define LOG_HEADER 32
#define LOG_ADMIT 1 /* ledger_internal.h: LEDGER_ADMIT */

struct log_header {
	uint32_t magic;
	uint32_t type;
	uint32_t len;
	uint32_t reserved;
	uint64_t seq;
	uint64_t sum;
};

/* 2026-01-15 12:00:00 UTC: rows carry times of their own, not the clock's. */
#define T0 INT64_C(1768478400000)

/* A string of this many bytes makes an admission of some 60 KB. */
#define BIG_STRING 60000

/* The checkpointer runs every 5 seconds; give it two chances and a bit. */
#define CHECKPOINT_WAIT_S 12

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* A call that must succeed; err is the caller's struct ora_error. */
#define OK(call) ck_assert_msg((call) == 0, "%s failed: %s", #call, err.msg)

/* Each test case's directory, made and removed by the runner process; and
 * in it one directory per test, made by the test's own process. A failed
 * assertion ends that process at once, so only the runner can be sure to
 * clean up. */
static char case_dir[64];
static char test_dir[96];
static char test_db[128];
static char test_log[140];

static int
remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(path);
	return 0;
}

static void
remove_tree(char *dir)
{
	if (dir[0] != '\0')
		nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	dir[0] = '\0';
}

static void
case_setup(void)
{
	strcpy(case_dir, "/tmp/check_ledger.XXXXXX");
	ck_assert_msg(mkdtemp(case_dir) != NULL, "mkdtemp: %s", strerror(errno));
}

static void
case_teardown(void)
{
	remove_tree(case_dir);
}

static void
setup(void)
{
	snprintf(test_dir, sizeof(test_dir), "%s/test.XXXXXX", case_dir);
	ck_assert_msg(mkdtemp(test_dir) != NULL, "mkdtemp: %s", strerror(errno));
	snprintf(test_db, sizeof(test_db), "%s/%s", test_dir, ORA_LEDGER_FILE);
	snprintf(test_log, sizeof(test_log), "%s-log", test_db);
}

static void
teardown(void)
{
	remove_tree(test_dir);
}

/* ----- rows as the tests write them ----- */

static const char *const users[] = {"alice", "bob", "carol"};

static struct ora_ledger_entry
admission(int i)
{
	struct ora_ledger_entry e = {
	    .started_ms = T0 + i * 1000,
	    .uid = 1000 + (uint32_t)i,
	    .user = users[i % 3],
	    .rule_line = 10 + i,
	    .rule_match = i % 2 ? "group research" : "user alice",
	    .role = "analyst",
	    .cost_centre = i % 2 ? "research" : "ops",
	    .key_name = "team-key",
	    .model_requested = "openai/gpt-5",
	    .models_requested = "[\"openai/gpt-5\",\"anthropic/claude-sonnet-4\"]",
	    .stream = i % 2,
	    .reserved = (ora_pico)(i + 1) * 1000000000,
	    .client_pid = 4000 + i,
	    .client_exe = "/usr/bin/orask",
	};

	return e;
}

static struct ora_ledger_entry
settlement(int64_t id, int i, const char *state, const char *generation_id)
{
	struct ora_ledger_entry e = {
	    .id = id,
	    .settled_ms = T0 + i * 1000 + 700,
	    .state = state,
	    .model_served = "openai/gpt-5-2025-08-07",
	    .provider = "OpenAI",
	    .generation_id = generation_id,
	    .prompt_tokens = 100 + i,
	    .completion_tokens = 200 + i,
	    .reasoning_tokens = 30 + i,
	    .cached_tokens = 5 + i,
	    .cost = (ora_pico)(i + 1) * 12345678,
	    .cost_text = "0.000012345678",
	    .http_status = 200,
	    .outcome = "ok",
	    .latency_ms = 700.25 + i,
	    .ttfb_ms = 120.5 + i,
	};

	return e;
}

/* ----- reading the database behind the ledger's back ----- */

static sqlite3 *
reader_open(void)
{
	sqlite3 *db = NULL;

	ck_assert_msg(sqlite3_open_v2(test_db, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK,
	    "cannot open %s read-only: %s", test_db, db ? sqlite3_errmsg(db) : "?");
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static int64_t
query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v;

	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK, "%s: %s", sql,
	    sqlite3_errmsg(db));
	ck_assert_msg(sqlite3_step(s) == SQLITE_ROW, "%s: %s", sql, sqlite3_errmsg(db));
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* The same query from a connection of its own, as a report would run it. */
static int64_t
reader_int(const char *sql)
{
	sqlite3 *db = reader_open();
	int64_t v = query_int(db, sql);

	sqlite3_close(db);
	return v;
}

/* Row id of requests, stepped onto its only row. */
static sqlite3_stmt *
row_get(sqlite3 *db, int64_t id)
{
	sqlite3_stmt *s;

	ck_assert(sqlite3_prepare_v2(db, "SELECT * FROM requests WHERE id = ?1", -1, &s, NULL) ==
	          SQLITE_OK);
	sqlite3_bind_int64(s, 1, id);
	ck_assert_msg(sqlite3_step(s) == SQLITE_ROW, "no row %lld", (long long)id);
	return s;
}

static int
column(sqlite3_stmt *s, const char *name)
{
	for (int i = 0; i < sqlite3_column_count(s); i++)
		if (strcmp(sqlite3_column_name(s, i), name) == 0)
			return i;
	ck_abort_msg("no column %s", name);
	return -1;
}

static void
expect_int(sqlite3_stmt *s, const char *name, int64_t want)
{
	int c = column(s, name);

	ck_assert_msg(sqlite3_column_type(s, c) == SQLITE_INTEGER, "%s: type %d, want an integer",
	    name, sqlite3_column_type(s, c));
	ck_assert_msg(sqlite3_column_int64(s, c) == want, "%s: %lld, want %lld", name,
	    (long long)sqlite3_column_int64(s, c), (long long)want);
}

static void
expect_real(sqlite3_stmt *s, const char *name, double want)
{
	int c = column(s, name);

	ck_assert_msg(sqlite3_column_type(s, c) == SQLITE_FLOAT, "%s: type %d, want a real", name,
	    sqlite3_column_type(s, c));
	ck_assert_msg(sqlite3_column_double(s, c) == want, "%s: %g, want %g", name,
	    sqlite3_column_double(s, c), want);
}

/* want NULL: the column is SQL NULL. */
static void
expect_text(sqlite3_stmt *s, const char *name, const char *want)
{
	int c = column(s, name);
	const char *got = (const char *)sqlite3_column_text(s, c);

	if (want == NULL) {
		ck_assert_msg(sqlite3_column_type(s, c) == SQLITE_NULL, "%s: '%s', want NULL", name,
		    got ? got : "");
		return;
	}
	ck_assert_msg(sqlite3_column_type(s, c) == SQLITE_TEXT, "%s: type %d, want text", name,
	    sqlite3_column_type(s, c));
	ck_assert_msg(strcmp(got, want) == 0, "%s: '%s', want '%s'", name, got, want);
}

static void
expect_null(sqlite3_stmt *s, const char *name)
{
	int c = column(s, name);

	ck_assert_msg(sqlite3_column_type(s, c) == SQLITE_NULL, "%s: type %d, want NULL", name,
	    sqlite3_column_type(s, c));
}

/* The admission columns of a row are those of admission(i). */
static void
expect_admitted_as(sqlite3_stmt *s, int i)
{
	struct ora_ledger_entry a = admission(i);

	expect_int(s, "started_ms", a.started_ms);
	expect_int(s, "uid", a.uid);
	expect_text(s, "user", a.user);
	expect_int(s, "rule_line", a.rule_line);
	expect_text(s, "rule_match", a.rule_match);
	expect_text(s, "role", a.role);
	expect_text(s, "cost_centre", a.cost_centre);
	expect_text(s, "key_name", a.key_name);
	expect_text(s, "model_requested", a.model_requested);
	expect_text(s, "models_requested", a.models_requested);
	expect_int(s, "stream", a.stream);
	expect_int(s, "reserved_pico", a.reserved);
	expect_int(s, "client_pid", a.client_pid);
	expect_text(s, "client_exe", a.client_exe);
}

/* SELECT * of both tables, row by row and column by column: same types,
 * same values. The settled_ms of the rows in clock[] was set from the
 * clock (ora_ledger_reconciled), so it need only fall in [lo, hi]. Returns
 * the number of rows. */
static int
expect_same_requests(
    sqlite3 *a, sqlite3 *b, const int64_t *clock, size_t n_clock, int64_t lo, int64_t hi)
{
	static const char sql[] = "SELECT * FROM requests ORDER BY id";
	sqlite3_stmt *sa, *sb;
	int ra, rb, rows = 0;

	ck_assert(sqlite3_prepare_v2(a, sql, -1, &sa, NULL) == SQLITE_OK);
	ck_assert(sqlite3_prepare_v2(b, sql, -1, &sb, NULL) == SQLITE_OK);
	ck_assert_int_eq(sqlite3_column_count(sa), sqlite3_column_count(sb));
	for (;;) {
		ra = sqlite3_step(sa);
		rb = sqlite3_step(sb);
		ck_assert_msg(ra == rb, "after %d rows: one table has more (%d, %d)", rows, ra, rb);
		if (ra != SQLITE_ROW)
			break;
		rows++;
		int64_t id = sqlite3_column_int64(sa, 0);
		int from_clock = 0;

		ck_assert_msg(sqlite3_column_int64(sb, 0) == id, "row %d: id %lld and %lld", rows,
		    (long long)id, (long long)sqlite3_column_int64(sb, 0));
		for (size_t k = 0; k < n_clock; k++)
			from_clock |= clock[k] == id;
		for (int c = 1; c < sqlite3_column_count(sa); c++) {
			const char *name = sqlite3_column_name(sa, c);
			int ta = sqlite3_column_type(sa, c), tb = sqlite3_column_type(sb, c);

			/* How many writes made a row, and which of them a shared
			 * ledger has: a fold that merges an admission with its
			 * settlement makes one write of two. */
			if (strcmp(name, "rev") == 0 || strcmp(name, "shipped_rev") == 0)
				continue;
			if (from_clock && strcmp(name, "settled_ms") == 0) {
				int64_t va = sqlite3_column_int64(sa, c),
				        vb = sqlite3_column_int64(sb, c);

				ck_assert_msg(ta == SQLITE_INTEGER && tb == SQLITE_INTEGER &&
				                  va >= lo && va <= hi && vb >= lo && vb <= hi,
				    "row %lld settled_ms %lld and %lld, not in [%lld, %lld]",
				    (long long)id, (long long)va, (long long)vb, (long long)lo,
				    (long long)hi);
				continue;
			}
			ck_assert_msg(ta == tb, "row %lld column %s: type %d and %d", (long long)id,
			    name, ta, tb);
			switch (ta) {
			case SQLITE_INTEGER:
				ck_assert_msg(
				    sqlite3_column_int64(sa, c) == sqlite3_column_int64(sb, c),
				    "row %lld column %s: %lld and %lld", (long long)id, name,
				    (long long)sqlite3_column_int64(sa, c),
				    (long long)sqlite3_column_int64(sb, c));
				break;
			case SQLITE_FLOAT:
				ck_assert_msg(
				    sqlite3_column_double(sa, c) == sqlite3_column_double(sb, c),
				    "row %lld column %s: %.17g and %.17g", (long long)id, name,
				    sqlite3_column_double(sa, c), sqlite3_column_double(sb, c));
				break;
			case SQLITE_TEXT:
			case SQLITE_BLOB:
				ck_assert_msg(
				    sqlite3_column_bytes(sa, c) == sqlite3_column_bytes(sb, c) &&
				        memcmp(sqlite3_column_blob(sa, c),
				            sqlite3_column_blob(sb, c),
				            (size_t)sqlite3_column_bytes(sa, c)) == 0,
				    "row %lld column %s: '%s' and '%s'", (long long)id, name,
				    sqlite3_column_text(sa, c), sqlite3_column_text(sb, c));
				break;
			default:
				break;
			}
		}
	}
	ck_assert_int_eq(ra, SQLITE_DONE);
	sqlite3_finalize(sa);
	sqlite3_finalize(sb);
	return rows;
}

/* ----- the intent log file, read as bytes ----- */

static unsigned char *
file_read(const char *path, size_t *len)
{
	struct stat st;
	unsigned char *buf;
	int fd = open(path, O_RDONLY);

	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	ck_assert(fstat(fd, &st) == 0);
	buf = ora_xmalloc((size_t)st.st_size + 1);
	ck_assert(read(fd, buf, (size_t)st.st_size) == st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static void
file_write(const char *path, const unsigned char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	ck_assert(write(fd, buf, len) == (ssize_t)len);
	ck_assert(close(fd) == 0);
}

static size_t
padded(size_t len)
{
	return (len + 7) & ~(size_t)7;
}

/* The header at off, if one is there (by its magic alone). */
static int
header_at(const unsigned char *buf, size_t len, size_t off, struct log_header *h)
{
	if (len < LOG_HEADER || off > len - LOG_HEADER)
		return 0;
	memcpy(h, buf + off, sizeof(*h));
	return h->magic == LOG_MAGIC && padded(h->len) <= len - off - LOG_HEADER;
}

/* Offsets of the records from offset 0 whose numbers follow one another
 * (the chain, as far as headers tell); returns how many. */
static size_t
chain_offsets(const unsigned char *buf, size_t len, size_t *offs, size_t max, uint64_t *first)
{
	struct log_header h;
	size_t n = 0, off = 0;
	uint64_t prev = 0;

	while (n < max && header_at(buf, len, off, &h) && (prev == 0 || h.seq == prev + 1)) {
		if (n == 0 && first != NULL)
			*first = h.seq;
		offs[n++] = off;
		prev = h.seq;
		off += LOG_HEADER + padded(h.len);
	}
	return n;
}

/* Headers of records numbered up to max_seq at the 8-byte boundaries
 * from off on, within the first 64 KiB. */
static int
stale_headers(const unsigned char *buf, size_t len, size_t off, uint64_t max_seq)
{
	struct log_header h;
	int n = 0;

	for (; off < 65536; off += 8)
		n += header_at(buf, len, off, &h) && h.seq >= 1 && h.seq <= max_seq;
	return n;
}

/* ----- a broker killed with -9 ----- */

typedef int (*child_fn)(void *arg);

/* Run fn in a child process; when it returns 0 the child is killed the
 * hard way, with whatever it left open. */
static void
run_killed(child_fn fn, void *arg)
{
	pid_t pid;
	int status, step;

	fflush(NULL);
	pid = fork();
	ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		step = fn(arg);
		if (step != 0)
			_exit(step);
		kill(getpid(), SIGKILL);
		_exit(99);
	}
	ck_assert(waitpid(pid, &status, 0) == pid);
	ck_assert_msg(!WIFEXITED(status), "the child failed at its step %d", WEXITSTATUS(status));
	ck_assert_msg(
	    WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the child ended with %#x", status);
}

/* In a child: a call that must succeed, else exit with its step number. */
#define CHILD_OK(call, step)                                                                       \
	do {                                                                                       \
		if ((call) != 0) {                                                                 \
			fprintf(stderr, "child step %d: %s: %s\n", (step), #call, err.msg);        \
			return (step);                                                             \
		}                                                                                  \
	} while (0)

/* ----- READ_WRITE ----- */

START_TEST(test_read_write_rows)
{
	struct ora_ledger *l;
	struct ora_error err;
	struct ora_ledger_entry a = admission(1), s, r = admission(2), open = admission(3);
	sqlite3_stmt *row;

	OK(ora_ledger_open(test_db, ORA_LEDGER_READ_WRITE, &l, &err));
	ck_assert_int_eq(ora_ledger_dirty(l), 0);
	OK(ora_ledger_admit(l, &a, &err));
	ck_assert_int_eq(a.id, 1);
	s = settlement(a.id, 1, "settled", "gen-abc");
	OK(ora_ledger_settle(l, &s, &err));
	r.reason = "budget of research exhausted";
	r.http_status = 429;
	r.outcome = "refused";
	OK(ora_ledger_refuse(l, &r, &err));
	ck_assert_int_eq(r.id, 2);
	open.role = NULL;
	open.cost_centre = NULL;
	open.models_requested = NULL;
	OK(ora_ledger_admit(l, &open, &err));
	ck_assert_int_eq(open.id, 3);

	/* Nothing is visible to a report before the commit. */
	ck_assert_int_eq(ora_ledger_dirty(l), 1);
	ck_assert_int_eq(reader_int("SELECT COUNT(*) FROM requests"), 0);
	OK(ora_ledger_commit(l, &err));
	ck_assert_int_eq(ora_ledger_dirty(l), 0);
	ck_assert_int_eq(ora_ledger_pending(l), 0);
	ck_assert_int_eq(reader_int("SELECT COUNT(*) FROM requests"), 3);

	sqlite3 *db = reader_open();

	row = row_get(db, 1);
	expect_admitted_as(row, 1);
	expect_int(row, "settled_ms", s.settled_ms);
	expect_text(row, "state", "settled");
	expect_text(row, "model_served", "openai/gpt-5-2025-08-07");
	expect_text(row, "provider", "OpenAI");
	expect_text(row, "generation_id", "gen-abc");
	expect_int(row, "prompt_tokens", 101);
	expect_int(row, "completion_tokens", 201);
	expect_int(row, "reasoning_tokens", 31);
	expect_int(row, "cached_tokens", 6);
	expect_int(row, "cost_pico", 2 * 12345678);
	expect_text(row, "cost_text", "0.000012345678");
	expect_int(row, "estimated", 0);
	expect_int(row, "http_status", 200);
	expect_text(row, "outcome", "ok");
	expect_text(row, "reason", NULL);
	expect_real(row, "latency_ms", 701.25);
	expect_real(row, "ttfb_ms", 121.5);
	sqlite3_finalize(row);

	/* Refused: settled when it started, never sent, nothing spent. */
	row = row_get(db, 2);
	expect_admitted_as(row, 2);
	expect_text(row, "state", "refused");
	expect_int(row, "settled_ms", admission(2).started_ms);
	expect_text(row, "reason", "budget of research exhausted");
	expect_int(row, "http_status", 429);
	expect_text(row, "outcome", "refused");
	expect_int(row, "cost_pico", 0);
	expect_text(row, "generation_id", NULL);
	expect_null(row, "latency_ms");
	sqlite3_finalize(row);

	/* Open: in flight, no result columns yet. */
	row = row_get(db, 3);
	expect_text(row, "state", "open");
	expect_int(row, "started_ms", open.started_ms);
	expect_null(row, "settled_ms");
	expect_text(row, "role", NULL);
	expect_text(row, "cost_centre", NULL);
	expect_text(row, "models_requested", NULL);
	expect_text(row, "model_served", NULL);
	expect_null(row, "http_status");
	expect_null(row, "latency_ms");
	expect_null(row, "ttfb_ms");
	expect_int(row, "reserved_pico", open.reserved);
	expect_int(row, "cost_pico", 0);
	sqlite3_finalize(row);
	sqlite3_close(db);

	int64_t rows, unsettled;

	OK(ora_ledger_counts(l, &rows, &unsettled, &err));
	ck_assert_int_eq(rows, 3);
	ck_assert_int_eq(unsettled, 1);
	ora_ledger_close(l);
}
END_TEST

/* ----- LOGGED: durable in the log, visible after the fold ----- */

START_TEST(test_logged_visible_after_commit)
{
	struct ora_ledger *l;
	struct ora_error err;
	struct ora_ledger_entry a = admission(0), b = admission(1), s;

	OK(ora_ledger_open(test_db, ORA_LEDGER_LOGGED, &l, &err));
	ck_assert_int_eq(ora_ledger_dirty(l), 0);
	ck_assert_int_eq(ora_ledger_pending(l), 0);
	OK(ora_ledger_admit(l, &a, &err));
	ck_assert_int_eq(a.id, 1);
	OK(ora_ledger_admit(l, &b, &err));
	ck_assert_int_eq(b.id, 2);
	s = settlement(a.id, 0, "settled", "gen-0");
	OK(ora_ledger_settle(l, &s, &err));

	ck_assert_int_eq(ora_ledger_dirty(l), 1);
	ck_assert_int_eq(ora_ledger_pending(l), 3);
	ck_assert_int_eq(ora_ledger_fold_due(l), 0);
	ck_assert_int_eq(reader_int("SELECT COUNT(*) FROM requests"), 0);

	OK(ora_ledger_commit(l, &err));
	ck_assert_int_eq(ora_ledger_dirty(l), 0);
	ck_assert_int_eq(ora_ledger_pending(l), 0);
	ck_assert_int_eq(reader_int("SELECT COUNT(*) FROM requests"), 2);
	ck_assert_int_eq(reader_int("SELECT cost_pico FROM requests WHERE id = 1 AND state = "
	                            "'settled' AND generation_id = 'gen-0'"),
	    12345678);
	ck_assert_int_eq(
	    reader_int("SELECT COUNT(*) FROM requests WHERE id = 2 AND state = 'open'"), 1);
	ck_assert_int_eq(reader_int("SELECT value FROM meta WHERE key = 'log_folded_seq'"), 3);

	/* A commit with nothing to fold changes nothing. */
	OK(ora_ledger_commit(l, &err));
	ck_assert_int_eq(reader_int("SELECT COUNT(*) FROM requests"), 2);
	ora_ledger_close(l);
}
END_TEST

/* ----- the same writes, in both modes, give the same rows ----- */

/* commit: in LOGGED mode, fold at the points marked; READ_WRITE commits
 * once at the end. Ids of reconciled rows go to clock[]. */
static void
write_script(struct ora_ledger *l, int logged, int64_t *clock, size_t *n_clock)
{
	struct ora_error err;
	struct ora_ledger_entry e[14], s;

#define FOLD()                                                                                     \
	do {                                                                                       \
		if (logged)                                                                        \
			OK(ora_ledger_commit(l, &err));                                            \
	} while (0)

	for (int i = 0; i < 14; i++)
		e[i] = admission(i);

	/* Fold 1: admissions settled in the same fold, one of them after a
	 * generation note; a refusal between them. */
	OK(ora_ledger_admit(l, &e[0], &err));
	OK(ora_ledger_admit(l, &e[1], &err));
	e[2].reason = "over the daily budget of research";
	e[2].outcome = "refused";
	e[2].http_status = 429;
	OK(ora_ledger_refuse(l, &e[2], &err));
	OK(ora_ledger_note_generation(l, e[1].id, "gen-1-noted", &err));
	s = settlement(e[0].id, 0, "settled", "gen-0");
	OK(ora_ledger_settle(l, &s, &err));
	OK(ora_ledger_admit(l, &e[3], &err));
	s = settlement(e[1].id, 1, "settled", NULL); /* keeps the noted id */
	OK(ora_ledger_settle(l, &s, &err));
	FOLD();

	/* Fold 2: a settlement whose admission is in the previous fold;
	 * 'unsettled' then reconciled in the same fold; a row left open; a
	 * row with a generation note, settled only in a later fold. */
	s = settlement(e[3].id, 3, "unsettled", "gen-3");
	OK(ora_ledger_settle(l, &s, &err));
	OK(ora_ledger_admit(l, &e[4], &err));
	s = settlement(e[4].id, 4, "unsettled", "gen-4");
	s.cost = 0;
	s.cost_text = NULL;
	OK(ora_ledger_settle(l, &s, &err));
	OK(ora_ledger_reconciled(
	    l, e[4].id, 444444, "0.000000444444", 1400, 1500, 160, NULL, 0, NULL, &err));
	clock[(*n_clock)++] = e[4].id;
	OK(ora_ledger_admit(l, &e[5], &err)); /* never settled */
	OK(ora_ledger_admit(l, &e[6], &err));
	OK(ora_ledger_note_generation(l, e[6].id, "gen-6", &err));
	FOLD();

	/* Fold 3: reconciliation of a row settled in an earlier fold, given
	 * up on (estimated); the late settlement; an upstream error; a note
	 * that comes after its settlement; two notes before one; a second
	 * settlement of a row; rows without the optional strings. */
	OK(ora_ledger_reconciled(l, e[3].id, e[3].reserved, NULL, 0, 0, 0, "openai/gpt-5-mini", 1,
	    "cost unknown: charged the reservation", &err));
	clock[(*n_clock)++] = e[3].id;
	s = settlement(e[6].id, 6, "settled", NULL);
	OK(ora_ledger_settle(l, &s, &err));
	OK(ora_ledger_admit(l, &e[7], &err));
	s = settlement(e[7].id, 7, "settled", NULL);
	s.model_served = NULL;
	s.provider = NULL;
	s.cost = 0;
	s.cost_text = NULL;
	s.prompt_tokens = s.completion_tokens = s.reasoning_tokens = s.cached_tokens = 0;
	s.http_status = 502;
	s.outcome = "upstream_error";
	s.reason = "Bad Gateway";
	s.ttfb_ms = 0;
	OK(ora_ledger_settle(l, &s, &err));
	e[8].reason = "model not allowed for role analyst";
	OK(ora_ledger_refuse(l, &e[8], &err));
	OK(ora_ledger_admit(l, &e[9], &err));
	s = settlement(e[9].id, 9, "settled", NULL);
	OK(ora_ledger_settle(l, &s, &err));
	OK(ora_ledger_note_generation(l, e[9].id, "gen-9-late", &err));
	OK(ora_ledger_admit(l, &e[10], &err));
	OK(ora_ledger_note_generation(l, e[10].id, "gen-10-first", &err));
	OK(ora_ledger_note_generation(l, e[10].id, "gen-10-second", &err));
	s = settlement(e[10].id, 10, "settled", NULL);
	OK(ora_ledger_settle(l, &s, &err));
	OK(ora_ledger_admit(l, &e[11], &err));
	s = settlement(e[11].id, 11, "settled", "gen-11");
	OK(ora_ledger_settle(l, &s, &err));
	s = settlement(e[11].id, 11, "settled", NULL);
	s.cost = 999;
	s.estimated = 1;
	OK(ora_ledger_settle(l, &s, &err));
	e[12] = (struct ora_ledger_entry){.started_ms = T0 + 12000, .user = "dave", .uid = 1012};
	OK(ora_ledger_admit(l, &e[12], &err));
	s = (struct ora_ledger_entry){.id = e[12].id, .settled_ms = T0 + 12500};
	OK(ora_ledger_settle(l, &s, &err));
	e[13].models_requested = NULL;
	e[13].reason = "an admission's reason, replaced by the settlement's";
	OK(ora_ledger_admit(l, &e[13], &err));
	s = settlement(e[13].id, 13, "settled", "gen-13");
	OK(ora_ledger_settle(l, &s, &err));
	OK(ora_ledger_commit(l, &err));
#undef FOLD

	for (int i = 0; i < 14; i++)
		ck_assert_int_eq(e[i].id, i + 1);
}

START_TEST(test_logged_same_rows_as_read_write)
{
	struct ora_ledger *rw, *lg;
	struct ora_error err;
	char db_rw[160];
	int64_t clock[4], lo, hi;
	size_t n_clock = 0;
	sqlite3 *db;

	snprintf(db_rw, sizeof(db_rw), "%s/direct.db", test_dir);
	OK(ora_ledger_open(db_rw, ORA_LEDGER_READ_WRITE, &rw, &err));
	OK(ora_ledger_open(test_db, ORA_LEDGER_LOGGED, &lg, &err));
	lo = ora_wall_ms();
	write_script(rw, 0, clock, &n_clock);
	n_clock = 0;
	write_script(lg, 1, clock, &n_clock);
	hi = ora_wall_ms();
	ck_assert_int_eq(n_clock, 2);

	ck_assert_int_eq(
	    expect_same_requests(ora_ledger_sqlite_db(rw), ora_ledger_sqlite_db(lg), clock, n_clock, lo, hi), 14);

	/* The comparison is not of two empty or trivial tables. */
	db = ora_ledger_sqlite_db(rw);
	ck_assert_int_eq(
	    query_int(db, "SELECT COUNT(*) FROM requests WHERE state = 'settled'"), 11);
	ck_assert_int_eq(query_int(db, "SELECT COUNT(*) FROM requests WHERE state = 'refused'"), 2);
	ck_assert_int_eq(query_int(db, "SELECT COUNT(*) FROM requests WHERE id = 6 AND state = "
	                               "'open'"),
	    1);
	ck_assert_int_eq(query_int(db, "SELECT COUNT(*) FROM requests WHERE id = 2 AND "
	                               "generation_id = 'gen-1-noted'"),
	    1);
	ck_assert_int_eq(query_int(db, "SELECT COUNT(*) FROM requests WHERE id = 10 AND "
	                               "generation_id = 'gen-9-late'"),
	    1);
	ck_assert_int_eq(
	    query_int(db, "SELECT cost_pico FROM requests WHERE id = 5 AND estimated = 0 "
	                  "AND prompt_tokens = 1400"),
	    444444);
	ck_assert_int_eq(
	    query_int(db, "SELECT cost_pico FROM requests WHERE id = 4 AND estimated = 1 "
	                  "AND model_served = 'openai/gpt-5-mini'"),
	    4000000000);
	ck_assert_int_eq(
	    query_int(db, "SELECT cost_pico FROM requests WHERE id = 12 AND estimated = 1 "
	                  "AND generation_id = 'gen-11'"),
	    999);
	ora_ledger_close(rw);
	ora_ledger_close(lg);
}
END_TEST

/* ----- crash replay ----- */

#define CRASH_ROWS 20

/* Admit CRASH_ROWS, settle every third, note a generation for row 5,
 * refuse one, and reconcile row 4 (settled 'unsettled'), then die. */
static int
crash_writer(void *arg)
{
	struct ora_ledger *l;
	struct ora_error err;
	struct ora_ledger_entry e, s;

	(void)arg;
	CHILD_OK(ora_ledger_open(test_db, ORA_LEDGER_LOGGED, &l, &err), 1);
	for (int i = 0; i < CRASH_ROWS; i++) {
		e = admission(i);
		CHILD_OK(ora_ledger_admit(l, &e, &err), 2);
		if (e.id != i + 1)
			return 3;
	}
	for (int i = 0; i < CRASH_ROWS; i += 3) {
		s = settlement(i + 1, i, "settled", NULL);
		CHILD_OK(ora_ledger_settle(l, &s, &err), 4);
	}
	CHILD_OK(ora_ledger_note_generation(l, 5, "gen-5", &err), 5);
	s = settlement(3, 2, "unsettled", "gen-3");
	CHILD_OK(ora_ledger_settle(l, &s, &err), 6);
	CHILD_OK(
	    ora_ledger_reconciled(l, 3, 777, "0.000000000777", 1, 2, 3, NULL, 0, NULL, &err), 7);
	e = admission(CRASH_ROWS);
	e.reason = "refused before the crash";
	CHILD_OK(ora_ledger_refuse(l, &e, &err), 8);
	if (ora_ledger_pending(l) != CRASH_ROWS + 7 + 4 || !ora_ledger_dirty(l))
		return 9;
	return 0;
}

START_TEST(test_crash_replay)
{
	struct ora_ledger *l;
	struct ora_error err;
	struct ora_ledger_entry e = admission(50);
	int64_t rows, unsettled;
	sqlite3 *db;

	run_killed(crash_writer, NULL);
	/* Nothing reached SQLite: whatever is there after the open came from
	 * the log. */
	ck_assert_int_eq(reader_int("SELECT COUNT(*) FROM requests"), 0);

	OK(ora_ledger_open(test_db, ORA_LEDGER_LOGGED, &l, &err));
	ck_assert_int_eq(ora_ledger_dirty(l), 0);
	ck_assert_int_eq(ora_ledger_pending(l), 0);
	db = ora_ledger_sqlite_db(l);
	ck_assert_int_eq(query_int(db, "SELECT COUNT(*) FROM requests"), CRASH_ROWS + 1);
	ck_assert_int_eq(
	    query_int(db, "SELECT COUNT(DISTINCT started_ms) FROM requests"), CRASH_ROWS + 1);
	for (int i = 0; i < CRASH_ROWS; i++) {
		sqlite3_stmt *row = row_get(db, i + 1);

		expect_admitted_as(row, i);
		if (i == 2) {
			expect_text(row, "state", "settled");
			expect_int(row, "cost_pico", 777);
			expect_text(row, "generation_id", "gen-3");
		} else if (i % 3 == 0) {
			struct ora_ledger_entry s = settlement(i + 1, i, "settled", NULL);

			expect_text(row, "state", "settled");
			expect_int(row, "settled_ms", s.settled_ms);
			expect_int(row, "cost_pico", s.cost);
			expect_int(row, "prompt_tokens", s.prompt_tokens);
			expect_real(row, "latency_ms", s.latency_ms);
		} else {
			expect_text(row, "state", "open");
			expect_null(row, "settled_ms");
			expect_int(row, "cost_pico", 0);
			expect_text(row, "generation_id", i == 4 ? "gen-5" : NULL);
		}
		sqlite3_finalize(row);
	}
	ck_assert_int_eq(query_int(db, "SELECT COUNT(*) FROM requests WHERE id = 21 AND state = "
	                               "'refused' AND reason = 'refused before the crash'"),
	    1);
	OK(ora_ledger_counts(l, &rows, &unsettled, &err));
	ck_assert_int_eq(rows, CRASH_ROWS + 1);
	ck_assert_int_eq(unsettled, CRASH_ROWS - 7 - 1);

	/* Numbering goes on after the replayed rows. */
	OK(ora_ledger_admit(l, &e, &err));
	ck_assert_int_eq(e.id, CRASH_ROWS + 2);
	ora_ledger_close(l);

	/* And a second start replays nothing again. */
	OK(ora_ledger_open(test_db, ORA_LEDGER_LOGGED, &l, &err));
	ck_assert_int_eq(
	    query_int(ora_ledger_sqlite_db(l), "SELECT COUNT(*) FROM requests"), CRASH_ROWS + 2);
	ck_assert_int_eq(
	    query_int(ora_ledger_sqlite_db(l), "SELECT cost_pico FROM requests WHERE id = 3"), 777);
	ora_ledger_close(l);
}
END_TEST

/* ----- a log folded but not yet restarted ----- */

START_TEST(test_folded_records_not_replayed)
{
	struct ora_ledger *l;
	struct ora_error err;
	struct ora_ledger_entry e, s;
	unsigned char *saved;
	size_t len, offs[16];
	uint64_t first = 0;

	OK(ora_ledger_open(test_db, ORA_LEDGER_LOGGED, &l, &err));
	for (int i = 0; i < 5; i++) {
		e = admission(i);
		OK(ora_ledger_admit(l, &e, &err));
	}
	for (int i = 0; i < 3; i++) {
		s = settlement(i + 1, i, "settled", NULL);
		OK(ora_ledger_settle(l, &s, &err));
	}
	/* The log as a crash right after the fold's commit would leave it. */
	saved = file_read(test_log, &len);
	ck_assert_int_eq(len, ORA_LEDGER_LOG_BYTES);
	ck_assert_int_eq(chain_offsets(saved, len, offs, N_ELEMS(offs), &first), 8);
	ck_assert_int_eq(first, 1);
	OK(ora_ledger_commit(l, &err));
	ora_ledger_close(l);
	ck_assert_int_eq(reader_int("SELECT COUNT(*) FROM requests"), 5);
	ck_assert_int_eq(reader_int("SELECT value FROM meta WHERE key = 'log_folded_seq'"), 8);

	file_write(test_log, saved, len);
	free(saved);
	OK(ora_ledger_open(test_db, ORA_LEDGER_LOGGED, &l, &err));
	ck_assert_int_eq(ora_ledger_pending(l), 0);
	ck_assert_int_eq(query_int(ora_ledger_sqlite_db(l), "SELECT COUNT(*) FROM requests"), 5);
	ck_assert_int_eq(query_int(ora_ledger_sqlite_db(l), "SELECT COUNT(*) FROM requests WHERE state = "
	                                             "'settled'"),
	    3);
	e = admission(5);
	OK(ora_ledger_admit(l, &e, &err));
	ck_assert_int_eq(e.id, 6);
	ora_ledger_close(l);
	ck_assert_int_eq(reader_int("SELECT COUNT(*) FROM requests"), 6);
	ck_assert_int_eq(reader_int("SELECT COUNT(DISTINCT started_ms) FROM requests"), 6);
}
END_TEST

/* ----- stale records behind a restarted log ----- */

static int
restart_writer(void *arg)
{
	struct ora_ledger *l;
	struct ora_error err;
	struct ora_ledger_entry e;

	(void)arg;
	CHILD_OK(ora_ledger_open(test_db, ORA_LEDGER_LOGGED, &l, &err), 1);
	for (int i = 0; i < 10; i++) {
		e = admission(i);
		CHILD_OK(ora_ledger_admit(l, &e, &err), 2);
	}
	CHILD_OK(ora_ledger_commit(l, &err), 3);
	for (int i = 10; i < 12; i++) {
		e = admission(i);
		CHILD_OK(ora_ledger_admit(l, &e, &err), 4);
	}
	return 0;
}

START_TEST(test_stale_records_after_restart)
{
	struct ora_ledger *l;
	struct ora_error err;
	struct log_header h;
	unsigned char *buf;
	size_t len, offs[16];
	uint64_t first = 0;

	run_killed(restart_writer, NULL);
	ck_assert_int_eq(reader_int("SELECT COUNT(*) FROM requests"), 10);

	/* The two new records at offset 0, then most of the old ones, still
	 * there. */
	buf = file_read(test_log, &len);
	ck_assert_int_eq(chain_offsets(buf, len, offs, N_ELEMS(offs), &first), 2);
	ck_assert_int_eq(first, 11);
	ck_assert(header_at(buf, len, offs[1], &h));
	ck_assert_int_ge(stale_headers(buf, len, offs[1] + LOG_HEADER + padded(h.len), 10), 7);
	free(buf);

	OK(ora_ledger_open(test_db, ORA_LEDGER_LOGGED, &l, &err));
	ck_assert_int_eq(query_int(ora_ledger_sqlite_db(l), "SELECT COUNT(*) FROM requests"), 12);
	ck_assert_int_eq(
	    query_int(ora_ledger_sqlite_db(l), "SELECT COUNT(DISTINCT started_ms) FROM requests"), 12);
	ck_assert_int_eq(query_int(ora_ledger_sqlite_db(l), "SELECT MAX(id) FROM requests"), 12);
	ck_assert_int_eq(
	    query_int(ora_ledger_sqlite_db(l), "SELECT started_ms FROM requests WHERE id = 12"),
	    admission(11).started_ms);
	ora_ledger_close(l);
	ck_assert_int_eq(reader_int("SELECT COUNT(*) FROM requests"), 12);
}
END_TEST

/* ----- a torn record ends the chain ----- */

static int
three_writer(void *arg)
{
	struct ora_ledger *l;
	struct ora_error err;
	struct ora_ledger_entry e;

	(void)arg;
	CHILD_OK(ora_ledger_open(test_db, ORA_LEDGER_LOGGED, &l, &err), 1);
	for (int i = 0; i < 3; i++) {
		e = admission(i);
		CHILD_OK(ora_ledger_admit(l, &e, &err), 2);
	}
	return 0;
}

START_TEST(test_torn_record)
{
	struct ora_ledger *l;
	struct ora_error err;
	struct ora_ledger_entry e = admission(7);
	struct log_header h;
	unsigned char *buf;
	size_t len, offs[8];
	sqlite3_stmt *row;

	run_killed(three_writer, NULL);
	buf = file_read(test_log, &len);
	ck_assert_int_eq(chain_offsets(buf, len, offs, N_ELEMS(offs), NULL), 3);
	ck_assert(header_at(buf, len, offs[2], &h));
	ck_assert_int_eq(h.seq, 3);
	/* A letter of the last string, client_exe "/usr/bin/orask": the
	 * record still decodes, only its checksum tells. */
	ck_assert(memcmp(buf + offs[2] + LOG_HEADER + h.len - 6, "orask", 6) == 0);
	buf[offs[2] + LOG_HEADER + h.len - 3] ^= 0x20;
	file_write(test_log, buf, len);
	free(buf);

	OK(ora_ledger_open(test_db, ORA_LEDGER_LOGGED, &l, &err));
	ck_assert_int_eq(query_int(ora_ledger_sqlite_db(l), "SELECT COUNT(*) FROM requests"), 2);
	for (int i = 0; i < 2; i++) {
		row = row_get(ora_ledger_sqlite_db(l), i + 1);
		expect_admitted_as(row, i);
		expect_text(row, "state", "open");
		sqlite3_finalize(row);
	}
	OK(ora_ledger_admit(l, &e, &err));
	ck_assert_int_eq(e.id, 3);
	ora_ledger_close(l);
	ck_assert_int_eq(reader_int("SELECT COUNT(*) FROM requests"), 3);
	ck_assert_int_eq(reader_int("SELECT started_ms FROM requests WHERE id = 3"), e.started_ms);
}
END_TEST

/* ----- one broker per ledger ----- */

START_TEST(test_one_process_at_a_time)
{
	struct ora_ledger *l, *second = NULL, *reader;
	struct ora_error err;
	struct ora_ledger_entry e = admission(0);

	OK(ora_ledger_open(test_db, ORA_LEDGER_LOGGED, &l, &err));
	OK(ora_ledger_admit(l, &e, &err));
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(ora_ledger_open(test_db, ORA_LEDGER_LOGGED, &second, &err), -1);
	ck_assert_ptr_null(second);
	ck_assert_msg(
	    strstr(err.msg, test_log) != NULL, "'%s' does not name %s", err.msg, test_log);
	ck_assert_msg(strstr(err.msg, "another process") != NULL, "'%s'", err.msg);
	/* The refused open left the first one alone. */
	ck_assert_int_eq(ora_ledger_pending(l), 1);
	OK(ora_ledger_commit(l, &err));
	/* Reports can still read. */
	OK(ora_ledger_open(test_db, ORA_LEDGER_READ_ONLY, &reader, &err));
	ora_ledger_close(reader);
	ora_ledger_close(l);

	OK(ora_ledger_open(test_db, ORA_LEDGER_LOGGED, &second, &err));
	e = admission(1);
	OK(ora_ledger_admit(second, &e, &err));
	ck_assert_int_eq(e.id, 2);
	ora_ledger_close(second);
	ck_assert_int_eq(reader_int("SELECT COUNT(*) FROM requests"), 2);
}
END_TEST

/* ----- a full log ----- */

/* How many records the log holds, and their total size; every record is
 * size bytes. */
static size_t
log_fill(size_t *used, size_t *size)
{
	unsigned char *buf;
	size_t len, n, *offs = ora_xcalloc(4096, sizeof(*offs));
	struct log_header h;

	buf = file_read(test_log, &len);
	n = chain_offsets(buf, len, offs, 4096, NULL);
	*used = 0;
	*size = 0;
	for (size_t i = 0; i < n; i++) {
		ck_assert(header_at(buf, len, offs[i], &h));
		*used += LOG_HEADER + padded(h.len);
		if (h.type == LOG_ADMIT && *size == 0)
			*size = LOG_HEADER + padded(h.len);
	}
	free(offs);
	free(buf);
	return n;
}

START_TEST(test_log_full)
{
	struct ora_ledger *l;
	struct ora_error err;
	struct ora_ledger_entry e, s;
	char *big = ora_xmalloc(BIG_STRING + 1);
	size_t admitted = 0, due_at = 0, used, size;
	const size_t capacity = ORA_LEDGER_LOG_BYTES;

	memset(big, 'r', BIG_STRING);
	big[BIG_STRING] = '\0';
	OK(ora_ledger_open(test_db, ORA_LEDGER_LOGGED, &l, &err));
	for (;;) {
		/* Records of one size. */
		e = admission(0);
		e.started_ms += (int64_t)admitted;
		e.role = big; /* configuration text: never cut */
		if (ora_ledger_admit(l, &e, &err) != 0)
			break;
		admitted++;
		ck_assert_int_eq(e.id, (int64_t)admitted);
		if (due_at == 0 && ora_ledger_fold_due(l))
			due_at = admitted;
		ck_assert_msg(admitted < 1000, "the log never fills up");
	}
	ck_assert_msg(strstr(err.msg, test_log) != NULL && strstr(err.msg, "full") != NULL,
	    "'%s' does not say that %s is full", err.msg, test_log);
	ck_assert_int_eq(ora_ledger_pending(l), admitted);
	e = admission(0);
	e.role = big;
	ck_assert_int_eq(ora_ledger_refuse(l, &e, &err), -1);

	/* Admissions stopped at three quarters, with the next one not
	 * fitting below; fold_due rose past a quarter. */
	ck_assert_int_eq(log_fill(&used, &size), admitted);
	ck_assert(size > BIG_STRING);
	ck_assert_int_eq(used, admitted * size);
	ck_assert_msg(used <= capacity / 4 * 3 && used + size > capacity / 4 * 3,
	    "admissions stopped at %zu of %zu bytes", used, capacity);
	ck_assert_msg(
	    due_at > 0 && due_at * size > capacity / 4 && (due_at - 1) * size <= capacity / 4,
	    "fold due after %zu records of %zu bytes", due_at, size);

	/* What is in flight can still finish. */
	for (int i = 0; i < 5; i++) {
		s = settlement(i + 1, i, "settled", NULL);
		OK(ora_ledger_settle(l, &s, &err));
	}
	OK(ora_ledger_note_generation(l, 6, "gen-6", &err));
	s = settlement(7, 6, "settled", NULL);
	s.reason = big;
	OK(ora_ledger_settle(l, &s, &err));
	OK(ora_ledger_reconciled(l, 8, 5, "0.000000000005", 0, 0, 0, NULL, 1, NULL, &err));
	ck_assert_int_eq(ora_ledger_pending(l), admitted + 8);

	OK(ora_ledger_commit(l, &err));
	ck_assert_int_eq(ora_ledger_pending(l), 0);
	ck_assert_int_eq(ora_ledger_dirty(l), 0);
	ck_assert_int_eq(ora_ledger_fold_due(l), 0);
	e = admission(999);
	e.models_requested = big;
	OK(ora_ledger_admit(l, &e, &err));
	ck_assert_int_eq(e.id, (int64_t)admitted + 1);
	OK(ora_ledger_commit(l, &err));
	ck_assert_int_eq(
	    query_int(ora_ledger_sqlite_db(l), "SELECT COUNT(*) FROM requests"), admitted + 1);
	ck_assert_int_eq(query_int(ora_ledger_sqlite_db(l), "SELECT COUNT(*) FROM requests WHERE state = "
	                                             "'settled'"),
	    7);
	/* A reason (text a caller may choose) is cut; a role is not. */
	ck_assert_int_eq(
	    query_int(ora_ledger_sqlite_db(l), "SELECT length(reason) FROM requests WHERE id = 7"),
	    ORA_LEDGER_TEXT_MAX);
	ck_assert_int_eq(
	    query_int(ora_ledger_sqlite_db(l), "SELECT length(role) FROM requests WHERE id = 1"),
	    BIG_STRING);
	ora_ledger_close(l);
	free(big);
}
END_TEST

/* ----- the checkpointer ----- */

static off_t
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

START_TEST(test_checkpointer)
{
	struct ora_ledger *l;
	struct ora_error err;
	struct ora_ledger_entry e, s;
	char wal[160];
	off_t initial;
	struct timespec pause = {0, 100 * 1000 * 1000};
	int waited;

	snprintf(wal, sizeof(wal), "%s-wal", test_db);
	OK(ora_ledger_open(test_db, ORA_LEDGER_LOGGED, &l, &err));
	initial = file_size(test_db);
	ck_assert(initial >= 0);
	for (int i = 0; i < 2000; i++) {
		e = admission(i);
		OK(ora_ledger_admit(l, &e, &err));
		s = settlement(e.id, i, "settled", "gen");
		OK(ora_ledger_settle(l, &s, &err));
		if (i % 100 == 99)
			OK(ora_ledger_commit(l, &err));
	}
	/* The rows are in the WAL; only a checkpoint writes the database. */
	ck_assert(file_size(wal) > 100 * 1024);
	for (waited = 0; waited < CHECKPOINT_WAIT_S * 10; waited++) {
		if (file_size(test_db) > initial + 100 * 1024)
			break;
		nanosleep(&pause, NULL);
	}
	ck_assert_msg(file_size(test_db) > initial + 100 * 1024,
	    "%s still %lld bytes (from %lld) after %d s: no checkpoint", test_db,
	    (long long)file_size(test_db), (long long)initial, CHECKPOINT_WAIT_S);
	ck_assert_int_eq(query_int(ora_ledger_sqlite_db(l), "SELECT COUNT(*) FROM requests"), 2000);
	ora_ledger_close(l);
}
END_TEST

/* ----- READ_ONLY ----- */

START_TEST(test_read_only)
{
	struct ora_ledger *l;
	struct ora_error err;
	struct ora_ledger_entry e = admission(0), s = settlement(1, 0, "settled", NULL);
	int64_t rows, unsettled;
	ora_pico spent;

	/* No ledger yet: nothing to read, and nothing created. */
	ck_assert_int_eq(ora_ledger_open(test_db, ORA_LEDGER_READ_ONLY, &l, &err), -1);
	ck_assert_msg(strstr(err.msg, test_db) != NULL, "'%s'", err.msg);
	ck_assert_int_eq(file_size(test_db), -1);

	OK(ora_ledger_open(test_db, ORA_LEDGER_READ_WRITE, &l, &err));
	OK(ora_ledger_admit(l, &e, &err));
	OK(ora_ledger_settle(l, &s, &err));
	e = admission(1);
	OK(ora_ledger_admit(l, &e, &err));
	OK(ora_ledger_commit(l, &err));
	ora_ledger_close(l);

	OK(ora_ledger_open(test_db, ORA_LEDGER_READ_ONLY, &l, &err));
	e = admission(2);
#define REFUSED(call)                                                                              \
	do {                                                                                       \
		memset(&err, 0, sizeof(err));                                                      \
		ck_assert_int_eq((call), -1);                                                      \
		ck_assert_msg(strstr(err.msg, test_db) != NULL && strstr(err.msg, "read-only"),    \
		    "%s: '%s'", #call, err.msg);                                                   \
	} while (0)
	REFUSED(ora_ledger_admit(l, &e, &err));
	REFUSED(ora_ledger_refuse(l, &e, &err));
	REFUSED(ora_ledger_settle(l, &s, &err));
	REFUSED(ora_ledger_note_generation(l, 2, "gen", &err));
	REFUSED(ora_ledger_reconciled(l, 2, 1, NULL, 0, 0, 0, NULL, 1, NULL, &err));
	REFUSED(ora_ledger_audit(l, 0, "root", "test", "nothing", &err));
#undef REFUSED
	ck_assert_int_eq(ora_ledger_dirty(l), 0);
	OK(ora_ledger_commit(l, &err));
	OK(ora_ledger_counts(l, &rows, &unsettled, &err));
	ck_assert_int_eq(rows, 2);
	ck_assert_int_eq(unsettled, 1);
	/* Settled cost of row 1 plus the reservation of open row 2. */
	OK(ora_ledger_spent(l, "user", "bob", 0, INT64_MAX, &spent, &err));
	ck_assert_int_eq(spent, admission(1).reserved);
	OK(ora_ledger_spent(l, NULL, NULL, 0, INT64_MAX, &spent, &err));
	ck_assert_int_eq(spent, settlement(1, 0, "settled", NULL).cost + admission(1).reserved);
	ora_ledger_close(l);
	ck_assert_int_eq(reader_int("SELECT COUNT(*) FROM requests"), 2);
	ck_assert_int_eq(reader_int("SELECT COUNT(*) FROM audit"), 0);
}
END_TEST

/* ----- the log alone ----- */

struct visit {
	uint64_t seq[16];
	uint32_t type[16];
	char data[16][64];
	size_t len[16];
	size_t n;
};

static int
visit(void *arg, uint64_t seq, uint32_t type, const void *data, size_t len)
{
	struct visit *v = arg;

	ck_assert(v->n < 16 && len < 64);
	v->seq[v->n] = seq;
	v->type[v->n] = type;
	memcpy(v->data[v->n], data, len);
	v->len[v->n] = len;
	v->n++;
	return 0;
}

static int
stop_at_two(void *arg, uint64_t seq, uint32_t type, const void *data, size_t len)
{
	visit(arg, seq, type, data, len);
	return seq == 2 ? 42 : 0;
}

/* Append len bytes of data under limit; its sequence number, 0 if it did
 * not fit. */
static uint64_t
log_put(struct ora_ledger_log *log, uint32_t type, const char *data, size_t len, size_t limit)
{
	void *p = ora_ledger_log_reserve(log, len, limit);

	if (p == NULL)
		return 0;
	memcpy(p, data, len);
	return ora_ledger_log_append(log, type, len);
}

#define SMALL_LOG 4096

START_TEST(test_log_records)
{
	static const char *const data[] = {"", "a", "seven b", "eight cc", "thirteen dddd",
	    "a record of forty-one bytes, more or less"};
	struct ora_ledger_log *log, *other;
	struct ora_error err;
	struct visit v = {0};
	size_t used = 0, n = N_ELEMS(data);
	unsigned char *buf;
	size_t len;
	struct log_header h;

	OK(ora_ledger_log_open(test_log, SMALL_LOG, &log, &err));
	ck_assert_int_eq(ora_ledger_log_capacity(log), SMALL_LOG);
	ck_assert_int_eq(ora_ledger_log_used(log), 0);
	ck_assert_int_eq(ora_ledger_log_last_seq(log), 0);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(
		    log_put(log, 10 + (uint32_t)i, data[i], strlen(data[i]), SMALL_LOG), i + 1);
		used += LOG_HEADER + padded(strlen(data[i]));
		ck_assert_int_eq(ora_ledger_log_used(log), used);
	}
	/* Locked while open. */
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(ora_ledger_log_open(test_log, SMALL_LOG, &other, &err), -1);
	ck_assert_msg(
	    strstr(err.msg, test_log) && strstr(err.msg, "another process"), "'%s'", err.msg);
	ora_ledger_log_close(log);

	OK(ora_ledger_log_open(test_log, SMALL_LOG, &log, &err));
	ck_assert_int_eq(ora_ledger_log_last_seq(log), n);
	ck_assert_int_eq(ora_ledger_log_used(log), used);
	ck_assert_int_eq(ora_ledger_log_each(log, 0, visit, &v), 0);
	ck_assert_int_eq(v.n, n);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(v.seq[i], i + 1);
		ck_assert_int_eq(v.type[i], 10 + i);
		ck_assert_int_eq(v.len[i], strlen(data[i]));
		ck_assert(memcmp(v.data[i], data[i], v.len[i]) == 0);
	}
	v.n = 0;
	ck_assert_int_eq(ora_ledger_log_each(log, 4, visit, &v), 0);
	ck_assert_int_eq(v.n, 2);
	ck_assert_int_eq(v.seq[0], 5);
	v.n = 0;
	ck_assert_int_eq(ora_ledger_log_each(log, 0, stop_at_two, &v), 42);
	ck_assert_int_eq(v.n, 2);

	/* A restart: the next record is number 50, at offset 0, and alone. */
	ora_ledger_log_restart(log, 50);
	ck_assert_int_eq(ora_ledger_log_used(log), 0);
	ck_assert_int_eq(ora_ledger_log_last_seq(log), 49);
	ck_assert_int_eq(log_put(log, 7, "xyz", 3, SMALL_LOG), 50);
	ck_assert_int_eq(ora_ledger_log_used(log), LOG_HEADER + 8);
	buf = file_read(test_log, &len);
	ck_assert(header_at(buf, len, 0, &h));
	ck_assert_int_eq(h.seq, 50);
	ck_assert_int_eq(h.type, 7);
	ck_assert_int_eq(h.len, 3);
	ck_assert(memcmp(buf + LOG_HEADER, "xyz", 3) == 0);
	/* The old records from the third on (at 32 + 40 bytes) are still in
	 * the file. */
	ck_assert(header_at(buf, len, LOG_HEADER + LOG_HEADER + 8, &h));
	ck_assert_int_eq(h.seq, 3);
	free(buf);
	v.n = 0;
	ck_assert_int_eq(ora_ledger_log_each(log, 0, visit, &v), 0);
	ck_assert_int_eq(v.n, 1);
	ck_assert_int_eq(v.seq[0], 50);
	ck_assert(memcmp(v.data[0], "xyz", 3) == 0);
	ck_assert_int_eq(log_put(log, 8, "more", 4, SMALL_LOG), 51);
	ora_ledger_log_close(log);

	OK(ora_ledger_log_open(test_log, SMALL_LOG, &log, &err));
	ck_assert_int_eq(ora_ledger_log_last_seq(log), 51);
	ck_assert_int_eq(ora_ledger_log_used(log), 2 * (LOG_HEADER + 8));
	v.n = 0;
	ck_assert_int_eq(ora_ledger_log_each(log, 0, visit, &v), 0);
	ck_assert_int_eq(v.n, 2);
	ck_assert_int_eq(v.seq[0], 50);
	ck_assert_int_eq(v.seq[1], 51);
	ck_assert_int_eq(v.type[1], 8);
	v.n = 0;
	ck_assert_int_eq(ora_ledger_log_each(log, 50, visit, &v), 0);
	ck_assert_int_eq(v.n, 1);
	ck_assert_int_eq(v.seq[0], 51);
	ora_ledger_log_close(log);
}
END_TEST

/* Resident kB of this process's mapping of path (/proc/self/smaps). */
static long
mapped_kb(const char *path)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[4096];
	long kb = -1, v;
	unsigned long from, to;
	int in = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t n = strlen(line);

		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (sscanf(line, "%lx-%lx ", &from, &to) == 2) {
			in = n >= strlen(path) && strcmp(line + n - strlen(path), path) == 0;
			continue;
		}
		if (in && sscanf(line, "Rss: %ld kB", &v) == 1)
			kb = kb < 0 ? v : kb + v;
	}
	fclose(f);
	return kb;
}

/* Counts records, and notes the first one's number. */
static int
count_from(void *arg, uint64_t seq, uint32_t type, const void *data, size_t len)
{
	uint64_t *c = arg;

	if (c[0]++ == 0)
		c[1] = seq;
	return 0;
}

/* A log that went far past ORA_LEDGER_LOG_KEEP_BYTES between two folds
 * gives the pages past it back at the restart (issue 17: RSS after load),
 * and loses nothing by it: the file still holds what was written, and the
 * chain goes on. */
START_TEST(test_log_pages_given_back)
{
	static char data[4000];
	const size_t size = 2 * ORA_LEDGER_LOG_KEEP_BYTES;
	struct ora_ledger_log *log;
	struct ora_error err;
	struct log_header h;
	uint64_t counted[2] = {0, 0};
	unsigned char *buf;
	size_t len, n = 0, last_off = 0;

	memset(data, 'r', sizeof(data));
	OK(ora_ledger_log_open(test_log, size, &log, &err));
	while (ora_ledger_log_used(log) + LOG_HEADER + sizeof(data) <= size) {
		last_off = ora_ledger_log_used(log);
		ck_assert_int_eq(log_put(log, 1, data, sizeof(data), size), ++n);
	}
	/* Resident past the mark (the kernel might have reclaimed some of it,
	 * not all: the pages are dirty and were just written). */
	ck_assert_int_ge(mapped_kb(test_log), (long)ORA_LEDGER_LOG_KEEP_BYTES / 1024 + 64);
	ora_ledger_log_restart(log, n + 1);
	ck_assert_int_le(mapped_kb(test_log), (long)ORA_LEDGER_LOG_KEEP_BYTES / 1024 + 4);
	buf = file_read(test_log, &len);
	ck_assert(header_at(buf, len, last_off, &h));
	ck_assert_int_eq(h.seq, n);
	ck_assert(buf[last_off + LOG_HEADER + sizeof(data) - 1] == 'r');
	free(buf);
	/* Written again past the mark after the restart, then read back. */
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(log_put(log, 2, data, sizeof(data), size), n + 1 + i);
	ora_ledger_log_close(log);
	OK(ora_ledger_log_open(test_log, size, &log, &err));
	ck_assert_int_eq(ora_ledger_log_last_seq(log), 2 * n);
	ck_assert_int_eq(ora_ledger_log_each(log, 0, count_from, counted), 0);
	ck_assert_int_eq(counted[0], n);
	ck_assert_int_eq(counted[1], n + 1);
	ora_ledger_log_close(log);
}
END_TEST

START_TEST(test_log_limits)
{
	struct ora_ledger_log *log;
	struct ora_error err;
	char data[200];
	uint64_t seq = 0, got;

	memset(data, 'q', sizeof(data));
	OK(ora_ledger_log_open(test_log, SMALL_LOG, &log, &err));
	/* Below a limit of 1024 bytes: four records of 232 bytes fit, the
	 * fifth does not. */
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(log_put(log, 1, data, sizeof(data), 1024), ++seq);
	ck_assert_int_eq(ora_ledger_log_used(log), 4 * (LOG_HEADER + 200));
	ck_assert_int_eq(log_put(log, 1, data, sizeof(data), 1024), 0);
	ck_assert_int_eq(ora_ledger_log_last_seq(log), seq);
	/* Up to the whole capacity, with the last byte used. */
	while ((got = log_put(log, 2, data, sizeof(data), SMALL_LOG)) != 0)
		ck_assert_int_eq(got, ++seq);
	ck_assert(ora_ledger_log_used(log) + LOG_HEADER + 200 > SMALL_LOG);
	while ((got = log_put(log, 2, data, 8, SMALL_LOG)) != 0)
		ck_assert_int_eq(got, ++seq);
	while ((got = log_put(log, 3, data, 0, SMALL_LOG)) != 0)
		ck_assert_int_eq(got, ++seq);
	ck_assert_int_eq(ora_ledger_log_used(log), SMALL_LOG);
	ck_assert_int_eq(log_put(log, 2, data, 0, SMALL_LOG), 0);
	ck_assert_int_eq(log_put(log, 2, data, 1, 1u << 30), 0);
	ora_ledger_log_close(log);

	/* A file larger than asked for keeps its size; all of it is read. */
	OK(ora_ledger_log_open(test_log, 1024, &log, &err));
	ck_assert_int_eq(ora_ledger_log_capacity(log), SMALL_LOG);
	ck_assert_int_eq(ora_ledger_log_last_seq(log), seq);
	ck_assert_int_eq(ora_ledger_log_used(log), SMALL_LOG);
	ora_ledger_log_close(log);
}
END_TEST

/* ----- regressions: each test below failed before its bug was fixed ----- */

/* Was a bug: a log whose chain is empty while meta 'log_folded_seq' is above 0
 * (ledger.db-log removed or lost while orad was stopped; or, after a power
 * loss, the record at offset 0 torn) loses the writes made before the
 * first commit. ledger_log_attach() (ledger_fold.c) leaves the log's
 * last_seq at 0: ora_ledger_pending() is 0 - folded_seq (wraps), the new
 * records are numbered 1, 2... at or below folded_seq, ora_ledger_dirty()
 * says 0, and ledger_fold() skips them and then restarts the log over
 * them (its restart is only done when ora_ledger_log_used() > 0, not when
 * last_seq < folded_seq). Row 4 below is never written.
 */

START_TEST(test_log_lost_after_restart)
{
	struct ora_ledger *l;
	struct ora_error err;
	struct ora_ledger_entry e;

	OK(ora_ledger_open(test_db, ORA_LEDGER_LOGGED, &l, &err));
	for (int i = 0; i < 3; i++) {
		e = admission(i);
		OK(ora_ledger_admit(l, &e, &err));
	}
	OK(ora_ledger_commit(l, &err));
	ora_ledger_close(l);
	ck_assert(unlink(test_log) == 0);

	OK(ora_ledger_open(test_db, ORA_LEDGER_LOGGED, &l, &err));
	ck_assert_int_eq(ora_ledger_pending(l), 0);
	e = admission(3);
	OK(ora_ledger_admit(l, &e, &err));
	ck_assert_int_eq(e.id, 4);
	ck_assert_int_eq(ora_ledger_dirty(l), 1);
	ck_assert_int_eq(ora_ledger_pending(l), 1);
	OK(ora_ledger_commit(l, &err));
	e = admission(4);
	OK(ora_ledger_admit(l, &e, &err));
	OK(ora_ledger_commit(l, &err));
	ck_assert_int_eq(reader_int("SELECT COUNT(*) FROM requests"), 5);
	ck_assert_int_eq(reader_int("SELECT COUNT(*) FROM requests WHERE id = 4"), 1);
	ora_ledger_close(l);
}
END_TEST

/* Was a bug: ora_ledger_log_reserve() (ledger_log.c) computes limit - log->end
 * in size_t: once the log is used beyond limit (settlements may fill it
 * past the 3/4 where admissions stop), it wraps and the record is let in.
 * So admissions come back and eat the room kept for settlements, and when
 * the log is nearly full an admission is written past the end of the
 * mapping: orad dies of SIGSEGV (the second half of the test below).
 */

START_TEST(test_log_reserve_past_limit)
{
	struct ora_ledger_log *log;
	struct ora_error err;
	char data[200];

	memset(data, 'q', sizeof(data));
	OK(ora_ledger_log_open(test_log, SMALL_LOG, &log, &err));
	for (int i = 0; i < 6; i++)
		ck_assert(log_put(log, 4, data, sizeof(data), SMALL_LOG) != 0);
	ck_assert(ora_ledger_log_used(log) > 1024);
	ck_assert_ptr_null(ora_ledger_log_reserve(log, 8, 1024));
	ora_ledger_log_close(log);
}
END_TEST

START_TEST(test_admit_after_settlements)
{
	struct ora_ledger *l;
	struct ora_error err;
	struct ora_ledger_entry e, s;
	char *big = ora_xmalloc(BIG_STRING + 1);

	memset(big, 'r', BIG_STRING);
	big[BIG_STRING] = '\0';
	OK(ora_ledger_open(test_db, ORA_LEDGER_LOGGED, &l, &err));
	for (;;) {
		e = admission(0);
		e.role = big;
		if (ora_ledger_admit(l, &e, &err) != 0)
			break;
	}
	/* Up to three quarters with small ones too (a settlement's text is
	 * cut, so it no longer fills the rest by itself). */
	for (;;) {
		e = admission(0);
		if (ora_ledger_admit(l, &e, &err) != 0)
			break;
	}
	s = settlement(1, 0, "settled", NULL);
	s.reason = big;
	OK(ora_ledger_settle(l, &s, &err));
	e = admission(1);
	ck_assert_msg(
	    ora_ledger_admit(l, &e, &err) == -1, "admitted as row %lld past 3/4", (long long)e.id);
	for (;;) {
		s = settlement(1, 0, "settled", NULL);
		if (ora_ledger_settle(l, &s, &err) != 0)
			break;
	}
	e = admission(1);
	e.role = big;
	ck_assert_int_eq(ora_ledger_admit(l, &e, &err), -1);
	ora_ledger_close(l);
	free(big);
}
END_TEST

/* Was a bug (minor, not reachable from orad today): an admission merged with its
 * settlement (ledger_fold.c, pair_writes()/fold_one()) is inserted at the
 * admission's place, so a write that comes between the admission and the
 * settlement and is not merged is applied after the settlement instead of
 * before it: (0) a second generation note overrides the settlement's
 * generation_id; (1) a reconciliation overrides the settlement's cost and
 * model. And (2) a settlement with settled_ms 0 gives NULL merged (insert()
 * in ledger.c binds settled_ms only when non-zero) but 0 through the
 * UPDATE of update_settled(). READ_WRITE rows, and LOGGED rows settled in a
 * later fold, differ from LOGGED rows settled in the same fold.
 */

static void
merge_case(struct ora_ledger *l, int which)
{
	struct ora_error err;
	struct ora_ledger_entry e = admission(0), s = settlement(1, 0, "settled", NULL);

	OK(ora_ledger_admit(l, &e, &err));
	switch (which) {
	case 0:
		OK(ora_ledger_note_generation(l, 1, "gen-first", &err));
		OK(ora_ledger_note_generation(l, 1, "gen-second", &err));
		s.generation_id = "gen-final";
		break;
	case 1:
		OK(ora_ledger_reconciled(l, 1, 5, "0.000000000005", 0, 0, 0, "other/model", 0,
		    "reconciled early", &err));
		break;
	case 2:
		s.settled_ms = 0;
		break;
	}
	OK(ora_ledger_settle(l, &s, &err));
	OK(ora_ledger_commit(l, &err));
}

START_TEST(test_merge_with_writes_between)
{
	struct ora_ledger *rw, *lg;
	struct ora_error err;
	char path[160];
	int64_t clock[1] = {1};

	snprintf(path, sizeof(path), "%s/direct.db", test_dir);
	OK(ora_ledger_open(path, ORA_LEDGER_READ_WRITE, &rw, &err));
	OK(ora_ledger_open(test_db, ORA_LEDGER_LOGGED, &lg, &err));
	merge_case(rw, _i);
	merge_case(lg, _i);
	expect_same_requests(ora_ledger_sqlite_db(rw), ora_ledger_sqlite_db(lg), clock, _i == 1, 0, INT64_MAX);
	ora_ledger_close(rw);
	ora_ledger_close(lg);
}
END_TEST


/* The checkpointer restarts the WAL while the broker never stops writing:
 * a commit every millisecond or so, and the file still goes back to empty
 * (a PASSIVE checkpoint alone never let it). */
START_TEST(test_wal_restarts_while_writing)
{
	struct ora_ledger *l;
	struct ora_error err;
	struct ora_ledger_entry e, s;
	char wal[160];
	off_t size, largest = 0;
	int restarted = 0;
	uint64_t until;

	snprintf(wal, sizeof(wal), "%s-wal", test_db);
	OK(ora_ledger_open(test_db, ORA_LEDGER_LOGGED, &l, &err));
	until = ora_now_us() + (uint64_t)(CHECKPOINT_WAIT_S + 5) * 1000000;
	for (int i = 0; !restarted && ora_now_us() < until; i++) {
		e = admission(i % 1000);
		OK(ora_ledger_admit(l, &e, &err));
		s = settlement(e.id, i % 1000, "settled", "gen");
		OK(ora_ledger_settle(l, &s, &err));
		/* A fold that meets the checkpointer's TRUNCATE (when the log is
		 * filling up) may find the database busy; the writes stay in
		 * the log and the next commit folds them, as in the broker. */
		if (ora_ledger_commit(l, &err) != 0)
			ck_assert_msg(strstr(err.msg, "locked") != NULL || strstr(err.msg, "busy") != NULL,
			    "%s", err.msg);
		size = file_size(wal);
		if (size > largest)
			largest = size;
		restarted = largest > 64 * 1024 && size < largest / 2;
	}
	ck_assert_msg(restarted, "the WAL grew to %lld bytes and never started over",
	    (long long)largest);
	ora_ledger_close(l);
}
END_TEST

/* ----- refusals and text a caller controls ----- */

static struct ora_ledger_entry
refusal(int64_t started_ms, uint32_t uid, const char *outcome)
{
	struct ora_ledger_entry e = admission(0);

	e.started_ms = started_ms;
	e.uid = uid;
	e.outcome = outcome;
	e.http_status = 429;
	e.reason = "too many";
	return e;
}

/* Beyond ORA_LEDGER_REFUSALS_PER_MINUTE a minute, a uid's refusals for one
 * reason are counted in one row; other uids, other reasons and the next
 * minute start afresh; counts reach the database at the next commit. */
START_TEST(test_refusals_collapse)
{
	enum ora_ledger_mode mode = _i == 0 ? ORA_LEDGER_LOGGED : ORA_LEDGER_READ_WRITE;
	struct ora_ledger *l;
	struct ora_error err;
	struct ora_ledger_entry e;
	const int n = ORA_LEDGER_REFUSALS_PER_MINUTE;
	int64_t minute = T0 - T0 % 60000;

	OK(ora_ledger_open(test_db, mode, &l, &err));
	for (int i = 0; i < n + 15; i++) {
		e = refusal(minute + i, 7, "rate_limited");
		OK(ora_ledger_refuse(l, &e, &err));
		ck_assert_msg((e.id != 0) == (i < n), "refusal %d: id %lld", i, (long long)e.id);
	}
	for (int i = 0; i < 3; i++) {
		e = refusal(minute + i, 7, "bad_request");
		OK(ora_ledger_refuse(l, &e, &err));
		ck_assert_int_ne(e.id, 0);
		e = refusal(minute + i, 8, "rate_limited");
		OK(ora_ledger_refuse(l, &e, &err));
		ck_assert_int_ne(e.id, 0);
	}
	e = refusal(minute + 60000, 7, "rate_limited");
	OK(ora_ledger_refuse(l, &e, &err));
	ck_assert_int_ne(e.id, 0);
	ck_assert(ora_ledger_dirty(l));
	OK(ora_ledger_commit(l, &err));
	ck_assert(!ora_ledger_dirty(l));
	/* One more counted: dirty again, written at the next commit (here,
	 * the close). */
	for (int i = 0; i < n + 2; i++) {
		e = refusal(minute + 60000 + 1 + i, 7, "rate_limited");
		OK(ora_ledger_refuse(l, &e, &err));
	}
	ck_assert(ora_ledger_dirty(l));
	ora_ledger_close(l);

	OK(ora_ledger_open(test_db, ORA_LEDGER_READ_ONLY, &l, &err));
	ck_assert_int_eq(query_int(ora_ledger_sqlite_db(l), "SELECT COUNT(*) FROM requests WHERE uid = 7 "
	                                             "AND outcome = 'rate_limited'"),
	    (n + 1) * 2);
	ck_assert_int_eq(query_int(ora_ledger_sqlite_db(l), "SELECT SUM(count) FROM requests WHERE uid = 7 "
	                                             "AND outcome = 'rate_limited'"),
	    n + 15 + 1 + n + 2);
	ck_assert_int_eq(query_int(ora_ledger_sqlite_db(l), "SELECT MAX(count) FROM requests"), 15);
	ck_assert_int_eq(query_int(ora_ledger_sqlite_db(l), "SELECT SUM(count) FROM requests"),
	    n + 15 + 3 + 3 + 1 + n + 2);
	ora_ledger_close(l);
}
END_TEST

/* Text a caller chooses is cut at ORA_LEDGER_TEXT_MAX bytes, on a
 * character boundary; text from the configuration is not. */
START_TEST(test_text_cut)
{
	struct ora_ledger *l;
	struct ora_error err;
	struct ora_ledger_entry e;
	char model[4096], sql[256];
	size_t i;

	/* "é" (two bytes) from offset 1: a cut at ORA_LEDGER_TEXT_MAX bytes
	 * would split one, so it is one byte shorter. */
	model[0] = 'x';
	for (i = 1; i + 2 < sizeof(model); i += 2)
		memcpy(model + i, "\xc3\xa9", 2);
	model[i] = '\0';
	OK(ora_ledger_open(test_db, ORA_LEDGER_LOGGED, &l, &err));
	e = admission(0);
	e.model_requested = model;
	e.reason = model;
	e.client_exe = model;
	OK(ora_ledger_refuse(l, &e, &err));
	OK(ora_ledger_commit(l, &err));
	snprintf(sql, sizeof(sql), "SELECT length(CAST(model_requested AS BLOB)) + "
	         "length(CAST(reason AS BLOB)) + length(CAST(client_exe AS BLOB)) FROM requests");
	ck_assert_int_eq(query_int(ora_ledger_sqlite_db(l), sql), 3 * (ORA_LEDGER_TEXT_MAX - 1));
	ck_assert_int_eq(query_int(ora_ledger_sqlite_db(l), "SELECT length(model_requested) FROM requests"),
	    1 + (ORA_LEDGER_TEXT_MAX - 2) / 2);
	ora_ledger_close(l);
}
END_TEST

Suite *suite(void); /* run by check_main.c */

/* A test case with the directories every test here works in. */
static TCase *
ledger_case(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_unchecked_fixture(tc, case_setup, case_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return tc;
}

Suite *
suite(void)
{
	Suite *s = suite_create("ledger");
	TCase *tc = ledger_case(s, "rows");
	TCase *crash = ledger_case(s, "crash");
	TCase *log = ledger_case(s, "log");
	TCase *slow = ledger_case(s, "checkpoint");

	tcase_add_test(tc, test_read_write_rows);
	tcase_add_test(tc, test_logged_visible_after_commit);
	tcase_add_test(tc, test_logged_same_rows_as_read_write);
	tcase_add_test(tc, test_read_only);
	tcase_add_test(tc, test_one_process_at_a_time);

	tcase_add_test(crash, test_crash_replay);
	tcase_add_test(crash, test_folded_records_not_replayed);
	tcase_add_test(crash, test_stale_records_after_restart);
	tcase_add_test(crash, test_torn_record);

	tcase_add_test(log, test_log_full);
	tcase_add_test(log, test_log_records);
	tcase_add_test(log, test_log_pages_given_back);
	tcase_add_test(log, test_log_limits);
	tcase_add_test(log, test_log_lost_after_restart);
	tcase_add_test(log, test_log_reserve_past_limit);
	tcase_add_test(log, test_admit_after_settlements);
	tcase_add_loop_test(log, test_merge_with_writes_between, 0, 3);

	tcase_add_test(slow, test_checkpointer);
	tcase_add_test(slow, test_wal_restarts_while_writing);

	tcase_add_loop_test(tc, test_refusals_collapse, 0, 2);
	tcase_add_test(tc, test_text_cut);
	return s;
}
