/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * history.c: orask's conversations in SQLite (history.h has the layout
 * and the rules; history_files.c the checked directory, history_import.c
 * an older orask's files).
 *
 * The database is in WAL mode with synchronous=NORMAL: safe from
 * corruption, at the cost of a few fsyncs and a few milliseconds of CPU
 * per opening. A plain question therefore never opens it: its exchange is
 * appended to pending.jsonl (history_pending.c), and moved into the
 * database by the next orask that opens it (log, show, rm, -c, --cid). Writers take an immediate
 * transaction and wait up to HIST_BUSY_TIMEOUT_MS for one another, so two
 * orask runs at once do not lose each other's exchanges.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/util.h"
#include "orask/history_internal.h"
#include "orask/history_sqlite.h"

/* 2: exchanges.generation, for the cost of an interrupted exchange. */
#define SCHEMA_VERSION 2
#define SCHEMA_VERSION_TEXT "2" /* for PRAGMA user_version, which takes no parameter */

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS conversations ("
    " id TEXT PRIMARY KEY, model TEXT, system TEXT,"
    " created INTEGER NOT NULL, updated INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS conversations_updated ON conversations(updated);"
    /* answer NULL: not known (imported from an older orask's log) */
    "CREATE TABLE IF NOT EXISTS exchanges ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT, cid TEXT NOT NULL, time INTEGER NOT NULL,"
    " question TEXT NOT NULL, answer TEXT, model TEXT,"
    " prompt_tokens INTEGER, completion_tokens INTEGER, cost REAL,"
    " outcome INTEGER NOT NULL DEFAULT 0, generation TEXT);"
    "CREATE INDEX IF NOT EXISTS exchanges_cid ON exchanges(cid, seq);"
    "CREATE VIRTUAL TABLE IF NOT EXISTS exchanges_fts USING fts5("
    " question, answer, content='exchanges', content_rowid='seq');"
    "CREATE TRIGGER IF NOT EXISTS exchanges_ai AFTER INSERT ON exchanges BEGIN"
    " INSERT INTO exchanges_fts(rowid, question, answer)"
    " VALUES (new.seq, new.question, new.answer); END;"
    "CREATE TRIGGER IF NOT EXISTS exchanges_ad AFTER DELETE ON exchanges BEGIN"
    " INSERT INTO exchanges_fts(exchanges_fts, rowid, question, answer)"
    " VALUES ('delete', old.seq, old.question, old.answer); END;"
    "CREATE TABLE IF NOT EXISTS terminals ("
    " key TEXT PRIMARY KEY, cid TEXT NOT NULL, time INTEGER NOT NULL);";

/* From version 1: an interrupted exchange's generation id, whose cost the
 * broker learns after the answer ended (cost NULL until then). */
static const char upgrade_1_to_2[] = "ALTER TABLE exchanges ADD COLUMN generation TEXT;";

/* ---- where, and which terminal ----------------------------------------- */

char *
orask_history_default_dir(void)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	struct passwd *pw;

	/* The XDG specification: a relative path is to be ignored. */
	if (state != NULL && state[0] == '/')
		return ora_xasprintf("%s/ora", state);
	if ((home == NULL || home[0] != '/') && (pw = getpwuid(getuid())) != NULL)
		home = pw->pw_dir;
	if (home == NULL || home[0] != '/')
		return NULL;
	return ora_xasprintf("%s/.local/state/ora", home);
}

int
orask_history_terminal_key(char *key, size_t size)
{
	char path[64], stat[1024], *p;
	unsigned long long start = 0;
	pid_t sid = getsid(0);
	ssize_t n = -1;
	int fd, i;

	if (sid < 0)
		return -1;
	/* Field 22 of /proc/SID/stat, the leader's start time, counted after
	 * the command name, which may hold spaces and parentheses. */
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)sid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, stat, sizeof(stat) - 1);
		close(fd);
	}
	if (n > 0) {
		stat[n] = '\0';
		if ((p = strrchr(stat, ')')) != NULL) {
			for (i = 2; i < 22 && p != NULL; i++)
				p = strchr(p + 1, ' ');
			if (p != NULL)
				start = strtoull(p + 1, NULL, 10);
		}
	}
	snprintf(key, size, "%ld-%llu", (long)sid, start);
	return 0;
}

int
orask_history_valid_id(const char *id)
{
	size_t n = strlen(id);

	return n > 0 && n <= ORASK_CID_MAX && id[0] != '.' &&
	       strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == n;
}

/* ---- the database ------------------------------------------------------ */

static enum orask_history_status
db_fail(struct orask_history *h, char *msg, size_t size)
{
	return hist_say(msg, size, ORASK_HISTORY_UNAVAILABLE, "%s/%s: %s", h->dir, ORASK_HISTORY_DB,
	    sqlite3_errmsg(h->db));
}

static int
exec(struct orask_history *h, const char *sql)
{
	return sqlite3_exec(h->db, sql, NULL, NULL, NULL);
}

static sqlite3_stmt *
prepare(struct orask_history *h, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	return st;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static char *
column_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s != NULL ? ora_xstrdup((const char *)s) : NULL;
}

/* BEGIN IMMEDIATE, waiting for another writer (busy timeout). */
static int
begin(struct orask_history *h)
{
	return exec(h, "BEGIN IMMEDIATE");
}

static void
rollback(struct orask_history *h)
{
	(void)exec(h, "ROLLBACK");
}

/* A history an older orask made: add what it lacks, in one transaction
 * (another orask doing the same at once waits, then finds it done). */
static enum orask_history_status
db_upgrade(struct orask_history *h, char *msg, size_t size)
{
	enum orask_history_status r;
	sqlite3_stmt *st;
	int version = 0;

	if (begin(h) != SQLITE_OK)
		return db_fail(h, msg, size);
	if ((st = prepare(h, "PRAGMA user_version")) != NULL) {
		if (sqlite3_step(st) == SQLITE_ROW)
			version = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	if (version == 1 && (exec(h, upgrade_1_to_2) != SQLITE_OK ||
	                        exec(h, "PRAGMA user_version=" SCHEMA_VERSION_TEXT) != SQLITE_OK)) {
		r = db_fail(h, msg, size);
		rollback(h);
		return r;
	}
	if (exec(h, "COMMIT") != SQLITE_OK) {
		r = db_fail(h, msg, size);
		rollback(h);
		return r;
	}
	return ORASK_HISTORY_OK;
}

/* The schema on first use, with an older orask's files imported. */
static enum orask_history_status
db_init(struct orask_history *h, char *msg, size_t size)
{
	enum orask_history_status r;
	sqlite3_stmt *st;
	int version = 0;

	if ((st = prepare(h, "PRAGMA user_version")) == NULL)
		return db_fail(h, msg, size);
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version >= SCHEMA_VERSION)
		return ORASK_HISTORY_OK;
	if (version == 1)
		return db_upgrade(h, msg, size);
	/* WAL is remembered in the file: set once, before the transaction. */
	if (exec(h, "PRAGMA journal_mode=WAL") != SQLITE_OK || begin(h) != SQLITE_OK)
		return db_fail(h, msg, size);
	if (exec(h, schema) != SQLITE_OK) {
		r = db_fail(h, msg, size);
		rollback(h);
		return r;
	}
	if ((r = hist_import_old(h, msg, size)) != ORASK_HISTORY_OK) {
		rollback(h);
		return r;
	}
	if (exec(h, "PRAGMA user_version=" SCHEMA_VERSION_TEXT) != SQLITE_OK ||
	    exec(h, "COMMIT") != SQLITE_OK) {
		r = db_fail(h, msg, size);
		rollback(h);
		return r;
	}
	return ORASK_HISTORY_OK;
}

/* SQLite makes its -wal and -shm files with the database's mode; a file
 * left by someone else, or opened up since, is refused all the same. */
static enum orask_history_status
check_side_files(struct orask_history *h, char *msg, size_t size)
{
	static const char *const names[] = {
	    ORASK_HISTORY_DB "-wal", ORASK_HISTORY_DB "-shm", ORASK_HISTORY_DB "-journal"};
	enum orask_history_status r;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		r = hist_check_file(h->dfd, h->dir, names[i], 0, msg, size);
		if (r != ORASK_HISTORY_OK && r != ORASK_HISTORY_NOT_FOUND)
			return r;
	}
	return ORASK_HISTORY_OK;
}

enum orask_history_status
orask_history_open(const char *dir, struct orask_history **out, char *msg, size_t size)
{
	struct orask_history *h = ora_xcalloc(1, sizeof(*h));
	enum orask_history_status r;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	char *path = NULL;
	mode_t old_mask;

	*out = NULL;
	h->dir = ora_xstrdup(dir);
	h->dfd = -1;
	if (orask_sqlite_load(msg, size) != 0) {
		orask_history_close(h);
		return ORASK_HISTORY_UNAVAILABLE;
	}
	/* Whatever SQLite creates besides the database is private too. */
	old_mask = umask(077);
	if ((r = hist_open_dir(dir, &h->dfd, msg, size)) != ORASK_HISTORY_OK ||
	    (r = hist_check_file(h->dfd, dir, ORASK_HISTORY_DB, 1, msg, size)) !=
	        ORASK_HISTORY_OK ||
	    (r = check_side_files(h, msg, size)) != ORASK_HISTORY_OK)
		goto out;
#ifdef SQLITE_OPEN_NOFOLLOW
	flags |= SQLITE_OPEN_NOFOLLOW;
#endif
	path = ora_xasprintf("%s/%s", dir, ORASK_HISTORY_DB);
	if (sqlite3_open_v2(path, &h->db, flags, NULL) != SQLITE_OK) {
		r = h->db != NULL ? db_fail(h, msg, size)
		                  : hist_say(msg, size, ORASK_HISTORY_UNAVAILABLE,
		                        "cannot open %s: out of memory", path);
		goto out;
	}
	sqlite3_busy_timeout(h->db, HIST_BUSY_TIMEOUT_MS);
	if (exec(h, "PRAGMA synchronous=NORMAL") != SQLITE_OK) {
		r = db_fail(h, msg, size);
		goto out;
	}
	if ((r = db_init(h, msg, size)) == ORASK_HISTORY_OK)
		r = hist_drain_pending(h, msg, size);
out:
	umask(old_mask);
	free(path);
	if (r != ORASK_HISTORY_OK) {
		orask_history_close(h);
		return r;
	}
	*out = h;
	return ORASK_HISTORY_OK;
}

void
orask_history_close(struct orask_history *h)
{
	if (h == NULL)
		return;
	if (h->db != NULL)
		sqlite3_close_v2(h->db);
	if (h->dfd >= 0)
		close(h->dfd);
	free(h->dir);
	free(h);
}

/* ---- conversations ----------------------------------------------------- */

void
orask_conversation_free(struct orask_conversation *conv)
{
	size_t i;

	if (conv == NULL)
		return;
	for (i = 0; i < conv->n_messages; i++) {
		free(conv->messages[i].role);
		free(conv->messages[i].content);
	}
	free(conv->messages);
	free(conv->model);
	free(conv->system);
	free(conv);
}

static void
add_message(struct orask_conversation *conv, const char *role, const char *content)
{
	conv->messages =
	    ora_xrealloc(conv->messages, (conv->n_messages + 1) * sizeof(*conv->messages));
	conv->messages[conv->n_messages].role = ora_xstrdup(role);
	conv->messages[conv->n_messages].content = ora_xstrdup(content);
	conv->n_messages++;
}

static struct orask_conversation *
conversation_new(const char *id)
{
	struct orask_conversation *conv = ora_xcalloc(1, sizeof(*conv));

	snprintf(conv->id, sizeof(conv->id), "%s", id);
	conv->is_new = 1;
	return conv;
}

/* A fresh conversation id: 8 hexadecimal digits, checked against the
 * database when the exchange is recorded. */
static void
fresh_id(char *id, size_t size)
{
	unsigned char b[4];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		/* Not secret, only unlikely to repeat. */
		unsigned long x = (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16) ^
		                  (unsigned long)clock();
		memcpy(b, &x, sizeof(b));
	}
	snprintf(id, size, "%02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
}

/* Load conversation id with its complete exchanges; NOT_FOUND if none. */
static enum orask_history_status
conversation_load(struct orask_history *h, const char *id, struct orask_conversation **out,
    char *msg, size_t size)
{
	struct orask_conversation *conv;
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	if ((st = prepare(h, "SELECT model, system FROM conversations WHERE id = ?")) == NULL)
		return db_fail(h, msg, size);
	bind_text(st, 1, id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? ORASK_HISTORY_NOT_FOUND : db_fail(h, msg, size);
	}
	conv = conversation_new(id);
	conv->is_new = 0;
	conv->model = column_dup(st, 0);
	conv->system = column_dup(st, 1);
	sqlite3_finalize(st);
	st = prepare(h, "SELECT question, answer FROM exchanges WHERE cid = ? AND outcome = 0"
	                " AND answer IS NOT NULL ORDER BY seq");
	if (st == NULL) {
		orask_conversation_free(conv);
		return db_fail(h, msg, size);
	}
	bind_text(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		add_message(conv, "user", (const char *)sqlite3_column_text(st, 0));
		add_message(conv, "assistant", (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		orask_conversation_free(conv);
		return db_fail(h, msg, size);
	}
	*out = conv;
	return ORASK_HISTORY_OK;
}

enum orask_history_status
orask_history_start(struct orask_history *h, const char *id, const char *key,
    struct orask_conversation **out, char *msg, size_t size)
{
	enum orask_history_status r = ORASK_HISTORY_OK;
	char fresh[ORASK_CID_MAX + 1], *last = NULL;
	sqlite3_stmt *st;

	*out = NULL;
	if (id != NULL && !orask_history_valid_id(id))
		return hist_say(msg, size, ORASK_HISTORY_INVALID,
		    "a conversation id has 1 to %d letters, digits, '-', '_' or '.', and does not "
		    "start with '.'",
		    ORASK_CID_MAX);
	if (id != NULL) {
		r = conversation_load(h, id, out, msg, size);
		if (r == ORASK_HISTORY_NOT_FOUND) {
			*out = conversation_new(id);
			r = ORASK_HISTORY_OK;
		}
		return r;
	}
	if (key != NULL && h != NULL) {
		if ((st = prepare(h, "SELECT cid FROM terminals WHERE key = ?")) == NULL)
			return db_fail(h, msg, size);
		bind_text(st, 1, key);
		if (sqlite3_step(st) == SQLITE_ROW)
			last = column_dup(st, 0);
		sqlite3_finalize(st);
		r = last != NULL ? conversation_load(h, last, out, msg, size)
		                 : ORASK_HISTORY_NOT_FOUND;
		free(last);
		if (r != ORASK_HISTORY_NOT_FOUND)
			return r;
		hist_say(msg, size, ORASK_HISTORY_NOT_FOUND,
		    "no earlier conversation in this terminal: this one starts afresh");
	}
	fresh_id(fresh, sizeof(fresh));
	*out = conversation_new(fresh);
	(*out)->fresh_id = 1;
	return r;
}

/* ---- recording --------------------------------------------------------- */

enum orask_history_status
hist_insert(struct orask_history *h, const char *cid, const char *model, const char *system,
    long long when, const char *question, const struct hist_answer *a, char *msg, size_t size)
{
	sqlite3_stmt *st;
	int rc;

	/* One upsert: a new conversation, or the latest model, system
	 * prompt and time of one that exists. */
	st = prepare(h, "INSERT INTO conversations (id, model, system, created, updated)"
	                " VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT(id) DO UPDATE SET"
	                " model = coalesce(excluded.model, model),"
	                " system = coalesce(excluded.system, system),"
	                " updated = max(updated, excluded.updated)");
	if (st == NULL)
		return db_fail(h, msg, size);
	bind_text(st, 1, cid);
	bind_text(st, 2, model);
	bind_text(st, 3, system);
	sqlite3_bind_int64(st, 4, when);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(h, msg, size);
	st = prepare(h, "INSERT INTO exchanges (cid, time, question, answer, model, prompt_tokens,"
	                " completion_tokens, cost, outcome, generation)"
	                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (st == NULL)
		return db_fail(h, msg, size);
	bind_text(st, 1, cid);
	sqlite3_bind_int64(st, 2, when);
	bind_text(st, 3, question);
	bind_text(st, 4, a->text);
	bind_text(st, 5, a->served);
	if (a->prompt_tokens >= 0)
		sqlite3_bind_int64(st, 6, a->prompt_tokens);
	if (a->completion_tokens >= 0)
		sqlite3_bind_int64(st, 7, a->completion_tokens);
	if (a->cost != NULL)
		sqlite3_bind_double(st, 8, *a->cost);
	sqlite3_bind_int(st, 9, (int)a->outcome);
	bind_text(st, 10, a->generation);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? ORASK_HISTORY_OK : db_fail(h, msg, size);
}

/* Whether conversation id exists (1), not (0), or -1 on failure. */
static int
conversation_exists(struct orask_history *h, const char *id)
{
	sqlite3_stmt *st = prepare(h, "SELECT 1 FROM conversations WHERE id = ?");
	int rc;

	if (st == NULL)
		return -1;
	bind_text(st, 1, id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static enum orask_history_status
terminal_set(struct orask_history *h, const char *key, const char *id, long long when, char *msg,
    size_t size)
{
	sqlite3_stmt *st;
	int rc;

	st = prepare(h, "INSERT OR REPLACE INTO terminals (key, cid, time) VALUES (?, ?, ?)");
	if (st == NULL)
		return db_fail(h, msg, size);
	bind_text(st, 1, key);
	bind_text(st, 2, id);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)when);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(h, msg, size);
	/* Which terminal had which conversation is a convenience: the
	 * oldest terminals are forgotten, never a conversation. */
	st = prepare(h, "DELETE FROM terminals WHERE key NOT IN"
	                " (SELECT key FROM terminals ORDER BY time DESC LIMIT ?)");
	if (st == NULL)
		return db_fail(h, msg, size);
	sqlite3_bind_int(st, 1, ORASK_HISTORY_MAX_TERMINALS);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? ORASK_HISTORY_OK : db_fail(h, msg, size);
}

enum orask_history_status
hist_record_at(struct orask_history *h, struct orask_conversation *conv, const char *key,
    long long when, const char *question, const struct hist_answer *a, int in_transaction,
    char *msg, size_t size)
{
	struct hist_answer given = *a;
	enum orask_history_status r;
	int tries = 0, exists;

	if (!in_transaction && begin(h) != SQLITE_OK)
		return db_fail(h, msg, size);
	/* A made-up id that another conversation has: make up another. */
	while (conv->fresh_id && conv->is_new && (exists = conversation_exists(h, conv->id)) != 0) {
		if (exists < 0 || ++tries > 100) {
			r = db_fail(h, msg, size);
			if (!in_transaction)
				rollback(h);
			return r;
		}
		fresh_id(conv->id, sizeof(conv->id));
	}
	if (given.text == NULL)
		given.text = "";
	r = hist_insert(h, conv->id, conv->model, conv->system, when, question, &given, msg, size);
	if (r == ORASK_HISTORY_OK && key != NULL)
		r = terminal_set(h, key, conv->id, when, msg, size);
	if (r == ORASK_HISTORY_OK && !in_transaction && exec(h, "COMMIT") != SQLITE_OK)
		r = db_fail(h, msg, size);
	if (r != ORASK_HISTORY_OK) {
		if (!in_transaction)
			rollback(h);
		return r;
	}
	conv->is_new = 0;
	if (a->outcome == ORASK_OUTCOME_COMPLETE) {
		add_message(conv, "user", question);
		add_message(conv, "assistant", given.text);
	}
	return ORASK_HISTORY_OK;
}

enum orask_history_status
orask_history_record(struct orask_history *h, struct orask_conversation *conv, const char *key,
    const char *question, const char *answer, const struct ora_reply *reply,
    enum orask_outcome outcome, char *msg, size_t size)
{
	struct hist_answer a = {
	    .text = answer,
	    .served = reply != NULL ? reply->model : NULL,
	    .prompt_tokens = reply != NULL ? reply->usage.prompt_tokens : -1,
	    .completion_tokens = reply != NULL ? reply->usage.completion_tokens : -1,
	    .cost = reply != NULL && reply->usage.has_cost ? &reply->usage.cost : NULL,
	    .generation = reply != NULL ? reply->id : NULL,
	    .outcome = outcome,
	};

	return hist_record_at(h, conv, key, (long long)time(NULL), question, &a, 0, msg, size);
}

/* Run sql with up to two integer parameters; 0 or an SQLite code. */
static int
run(struct orask_history *h, const char *sql, long long a, long long b)
{
	sqlite3_stmt *st = prepare(h, sql);
	int rc;

	if (st == NULL)
		return sqlite3_errcode(h->db);
	if (sqlite3_bind_parameter_count(st) >= 1)
		sqlite3_bind_int64(st, 1, a);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, b);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : rc;
}

enum orask_history_status
orask_history_retain(
    struct orask_history *h, long max_days, long max_conversations, char *msg, size_t size)
{
	enum orask_history_status r;
	int rc = 0;

	if (max_days <= 0 && max_conversations <= 0)
		return ORASK_HISTORY_OK;
	if (begin(h) != SQLITE_OK)
		return db_fail(h, msg, size);
	if (max_days > 0) {
		long long cutoff = (long long)time(NULL) - (long long)max_days * 86400;

		rc = run(h, "UPDATE conversations SET updated = -1 WHERE updated < ?", cutoff, 0);
	}
	if (rc == 0 && max_conversations > 0)
		rc = run(h,
		    "UPDATE conversations SET updated = -1 WHERE id NOT IN"
		    " (SELECT id FROM conversations WHERE updated >= 0"
		    " ORDER BY updated DESC LIMIT ?)",
		    max_conversations, 0);
	if (rc == 0)
		rc = run(h,
		    "DELETE FROM exchanges WHERE cid IN"
		    " (SELECT id FROM conversations WHERE updated = -1)",
		    0, 0);
	if (rc == 0)
		rc = run(h,
		    "DELETE FROM terminals WHERE cid IN"
		    " (SELECT id FROM conversations WHERE updated = -1)",
		    0, 0);
	if (rc == 0)
		rc = run(h, "DELETE FROM conversations WHERE updated = -1", 0, 0);
	if (rc == 0 && exec(h, "COMMIT") != SQLITE_OK)
		rc = 1;
	if (rc != 0) {
		r = db_fail(h, msg, size);
		rollback(h);
		return r;
	}
	return ORASK_HISTORY_OK;
}

/* ---- reading ------------------------------------------------------------ */

void
orask_exchanges_free(struct orask_exchanges *x)
{
	size_t i;

	if (x == NULL)
		return;
	for (i = 0; i < x->n; i++) {
		free(x->items[i].model);
		free(x->items[i].question);
		free(x->items[i].answer);
		free(x->items[i].generation);
	}
	free(x->items);
	free(x->model);
	free(x->system);
	memset(x, 0, sizeof(*x));
}

#define EXCHANGE_COLUMNS                                                                           \
	"seq, time, cid, model, prompt_tokens, completion_tokens, cost, outcome, question, "       \
	"answer, "                                                                                 \
	"generation"

static void
read_exchange(sqlite3_stmt *st, struct orask_exchange *e)
{
	memset(e, 0, sizeof(*e));
	e->seq = sqlite3_column_int64(st, 0);
	e->time = sqlite3_column_int64(st, 1);
	snprintf(e->cid, sizeof(e->cid), "%s", (const char *)sqlite3_column_text(st, 2));
	e->model = column_dup(st, 3);
	e->prompt_tokens =
	    sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : (long)sqlite3_column_int64(st, 4);
	e->completion_tokens =
	    sqlite3_column_type(st, 5) == SQLITE_NULL ? -1 : (long)sqlite3_column_int64(st, 5);
	if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
		e->cost = sqlite3_column_double(st, 6);
		e->has_cost = 1;
	}
	e->outcome = (enum orask_outcome)sqlite3_column_int(st, 7);
	e->question = column_dup(st, 8);
	if (e->question == NULL)
		e->question = ora_xstrdup("");
	e->answer = column_dup(st, 9);
	e->generation = column_dup(st, 10);
}

/* Every row of st into out; reversed when newest_first (to oldest first). */
static enum orask_history_status
read_all(struct orask_history *h, sqlite3_stmt *st, int newest_first, struct orask_exchanges *out,
    char *msg, size_t size)
{
	size_t cap = 0, i;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (out->n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			out->items = ora_xrealloc(out->items, cap * sizeof(*out->items));
		}
		read_exchange(st, &out->items[out->n++]);
	}
	if (rc != SQLITE_DONE) {
		orask_exchanges_free(out);
		return db_fail(h, msg, size);
	}
	for (i = 0; newest_first && i < out->n / 2; i++) {
		struct orask_exchange t = out->items[i];

		out->items[i] = out->items[out->n - 1 - i];
		out->items[out->n - 1 - i] = t;
	}
	return ORASK_HISTORY_OK;
}

/* text as an FTS5 query: every word a quoted phrase, so that what a
 * person types (rfc-822, "C++", AND) is searched for, never parsed. */
static char *
fts_query(const char *text)
{
	size_t n = strlen(text), i, o = 0;
	char *q = ora_xmalloc(3 * n + 3);
	int in_word = 0;

	for (i = 0; i < n; i++) {
		int space = text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r';

		if (space && in_word) {
			q[o++] = '"';
			in_word = 0;
		}
		if (space)
			continue;
		if (!in_word) {
			if (o > 0)
				q[o++] = ' ';
			q[o++] = '"';
			in_word = 1;
		}
		if (text[i] == '"')
			q[o++] = '"';
		q[o++] = text[i];
	}
	if (in_word)
		q[o++] = '"';
	q[o] = '\0';
	return q;
}

enum orask_history_status
orask_history_log(struct orask_history *h, size_t max, const char *cid, const char *text,
    struct orask_exchanges *out, char *msg, size_t size)
{
	enum orask_history_status r;
	char *query = text != NULL ? fts_query(text) : NULL, *sql;
	sqlite3_stmt *st;
	int i = 1;

	memset(out, 0, sizeof(*out));
	if (query != NULL && *query == '\0') {
		free(query);
		query = NULL;
	}
	sql = ora_xasprintf("SELECT " EXCHANGE_COLUMNS " FROM exchanges WHERE 1 %s %s"
	                    " ORDER BY time DESC, seq DESC LIMIT ?",
	    cid != NULL ? "AND cid = ?" : "",
	    query != NULL ? "AND seq IN (SELECT rowid FROM exchanges_fts"
	                    " WHERE exchanges_fts MATCH ?)"
	                  : "");
	st = prepare(h, sql);
	free(sql);
	if (st == NULL) {
		free(query);
		return db_fail(h, msg, size);
	}
	if (cid != NULL)
		bind_text(st, i++, cid);
	if (query != NULL)
		bind_text(st, i++, query);
	sqlite3_bind_int64(st, i, max > (size_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)max);
	r = read_all(h, st, 1, out, msg, size);
	sqlite3_finalize(st);
	free(query);
	return r;
}

enum orask_history_status
orask_history_show(
    struct orask_history *h, const char *id, struct orask_exchanges *out, char *msg, size_t size)
{
	enum orask_history_status r;
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((st = prepare(h, "SELECT model, system FROM conversations WHERE id = ?")) == NULL)
		return db_fail(h, msg, size);
	bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->model = column_dup(st, 0);
		out->system = column_dup(st, 1);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return hist_say(msg, size, ORASK_HISTORY_NOT_FOUND, "no conversation %s", id);
	if (rc != SQLITE_ROW)
		return db_fail(h, msg, size);
	st = prepare(h, "SELECT " EXCHANGE_COLUMNS " FROM exchanges WHERE cid = ?"
	                " ORDER BY time, seq");
	if (st == NULL) {
		orask_exchanges_free(out);
		return db_fail(h, msg, size);
	}
	bind_text(st, 1, id);
	r = read_all(h, st, 0, out, msg, size);
	sqlite3_finalize(st);
	return r;
}

enum orask_history_status
orask_history_rm(struct orask_history *h, const char *id, size_t *n_removed, char *msg, size_t size)
{
	static const char *const deletes[] = {"DELETE FROM exchanges WHERE cid = ?",
	    "DELETE FROM terminals WHERE cid = ?", "DELETE FROM conversations WHERE id = ?"};
	enum orask_history_status r = ORASK_HISTORY_OK;
	sqlite3_stmt *st;
	size_t i;
	int exists;

	*n_removed = 0;
	/* Removed means gone from the file too, not left in free pages. */
	if (exec(h, "PRAGMA secure_delete=ON") != SQLITE_OK || begin(h) != SQLITE_OK)
		return db_fail(h, msg, size);
	if ((exists = conversation_exists(h, id)) <= 0) {
		r = exists == 0
		        ? hist_say(msg, size, ORASK_HISTORY_NOT_FOUND, "no conversation %s", id)
		        : db_fail(h, msg, size);
		rollback(h);
		return r;
	}
	for (i = 0; i < sizeof(deletes) / sizeof(deletes[0]) && r == ORASK_HISTORY_OK; i++) {
		if ((st = prepare(h, deletes[i])) == NULL) {
			r = db_fail(h, msg, size);
			break;
		}
		bind_text(st, 1, id);
		if (sqlite3_step(st) != SQLITE_DONE)
			r = db_fail(h, msg, size);
		else if (i == 0)
			*n_removed = (size_t)sqlite3_changes(h->db);
		sqlite3_finalize(st);
	}
	if (r == ORASK_HISTORY_OK && exec(h, "COMMIT") != SQLITE_OK)
		r = db_fail(h, msg, size);
	if (r != ORASK_HISTORY_OK)
		rollback(h);
	return r;
}

/* ---- costs learned later ----------------------------------------------- */

int
orask_exchange_cost_pending(const struct orask_exchange *e)
{
	return !e->has_cost && e->outcome != ORASK_OUTCOME_COMPLETE && e->generation != NULL;
}

enum orask_history_status
orask_history_set_cost(struct orask_history *h, long long seq, const char *served,
    long prompt_tokens, long completion_tokens, double cost, struct orask_exchange *e, char *msg,
    size_t size)
{
	sqlite3_stmt *st;
	int rc;

	/* Only where nothing is known: what the answer itself reported wins. */
	st = prepare(h, "UPDATE exchanges SET cost = ?2, model = coalesce(model, ?3),"
	                " prompt_tokens = coalesce(prompt_tokens, ?4),"
	                " completion_tokens = coalesce(completion_tokens, ?5)"
	                " WHERE seq = ?1 AND cost IS NULL");
	if (st == NULL)
		return db_fail(h, msg, size);
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_double(st, 2, cost);
	bind_text(st, 3, served);
	if (prompt_tokens >= 0)
		sqlite3_bind_int64(st, 4, prompt_tokens);
	if (completion_tokens >= 0)
		sqlite3_bind_int64(st, 5, completion_tokens);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(h, msg, size);
	if (e != NULL) {
		e->cost = cost;
		e->has_cost = 1;
		if (e->model == NULL && served != NULL)
			e->model = ora_xstrdup(served);
		if (e->prompt_tokens < 0)
			e->prompt_tokens = prompt_tokens;
		if (e->completion_tokens < 0)
			e->completion_tokens = completion_tokens;
	}
	return ORASK_HISTORY_OK;
}
