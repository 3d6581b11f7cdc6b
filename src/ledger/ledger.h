/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ledger.h: the durable record of every request. Behind this interface sit
 * backends (ledger_backend.h): SQLite (WAL mode) at state_dir/ledger.db,
 * the default, and PostgreSQL, shared by the brokers of many hosts.
 * Nothing outside src/ledger knows which one it talks to.
 *
 * A row is written when a request is admitted, before anything goes
 * upstream, and completed when it settles, so a broker killed at any moment
 * leaves rows that say exactly what was in flight: at start they are
 * reconciled. Rows never hold prompt or answer text.
 *
 * The broker (ORA_LEDGER_LOGGED) writes through an intent log beside the
 * database (ledger.db-log, see ledger_log.h): a write is durable against
 * the death of the process when its call returns, and reaches SQLite at the
 * next ora_ledger_commit() (the broker's journal: within a second) or
 * at the next start. Other writers (oractl) write SQLite directly.
 *
 * Schema (version 4), for reports and for anyone querying the file:
 *
 *   requests(id INTEGER PRIMARY KEY, started_ms, settled_ms, state,
 *            uid, user, rule_line, rule_match, role, cost_centre, key_name,
 *            model_requested, models_requested, model_served, provider,
 *            generation_id, stream, prompt_tokens, completion_tokens,
 *            reasoning_tokens, cached_tokens, cost_pico, cost_text,
 *            reserved_pico, estimated, http_status, outcome, reason,
 *            latency_ms, ttfb_ms, client_pid, client_exe, count, rev,
 *            shipped_rev)
 *   audit(id INTEGER PRIMARY KEY, time_ms, uid, user, action, detail)
 *   meta(key PRIMARY KEY, value)
 *   pruned(id INTEGER PRIMARY KEY, time_ms, uid, before_ms, rows, cost_pico)
 *
 * Times are milliseconds since the epoch (UTC). Money is integer
 * picodollars (1e-12 USD, see money.h); cost_text keeps the upstream's own
 * decimal. state is 'open' (admitted, in flight), 'unsettled' (finished but
 * the cost is not known yet: being reconciled), 'settled', or 'refused'
 * (never sent upstream; reason says why). estimated = 1 marks a cost that
 * could not be learned from the upstream and was set to the reservation.
 * count is how many requests the row stands for: 1, except for a refused
 * row that collapses a flood of refusals (see ora_ledger_refuse); count
 * refusals with SUM(count), not COUNT(*). Text a user controls (model
 * names, reasons, program names) is cut to ORA_LEDGER_TEXT_MAX bytes.
 */
#ifndef ORA_LEDGER_H
#define ORA_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "common/money.h"
#include "common/util.h"

#define ORA_LEDGER_FILE "ledger.db"
/* The intent log sits beside the database: ledger.db-log. */
#define ORA_LEDGER_LOG_SUFFIX "-log"
/* Kept in PRAGMA user_version (and meta 'schema_version'). A read-write
 * open upgrades an older ledger in place (ledger_maint.c) and refuses a
 * newer one. 2: the pruned table. 3: count. 4: rev and shipped_rev (what
 * a shared PostgreSQL ledger has of each row). */
#define ORA_LEDGER_SCHEMA_VERSION 4

/* The longest text column a write stores, in bytes (cut at a character
 * boundary): a user who sends a megabyte of model name must not make the
 * ledger, or its intent log, a megabyte larger. */
#define ORA_LEDGER_TEXT_MAX 256

/* Refusals of one uid for one reason (outcome) in one minute that get a
 * row each; the rest of that minute's are counted in one row. */
#define ORA_LEDGER_REFUSALS_PER_MINUTE 10

/* Below this much free space on the ledger's filesystem, refusals are not
 * recorded one by one at all (only counted), and an alert is logged once;
 * once more when space is back. */
#define ORA_LEDGER_MIN_FREE_BYTES (256LL << 20)

struct ora_ledger;

/* Every column of a request row. Strings may be NULL (stored as NULL). */
struct ora_ledger_entry {
	int64_t id;
	int64_t started_ms;
	int64_t settled_ms;
	const char *state;
	uint32_t uid;
	const char *user;
	int rule_line;
	const char *rule_match; /* "group research", "user alice", "everyone" */
	const char *role;
	const char *cost_centre;
	const char *key_name;
	const char *model_requested;
	const char *models_requested; /* JSON array text, or NULL */
	const char *model_served;
	const char *provider;
	const char *generation_id;
	int stream;
	int64_t prompt_tokens;
	int64_t completion_tokens;
	int64_t reasoning_tokens;
	int64_t cached_tokens;
	ora_pico cost;
	const char *cost_text;
	ora_pico reserved;
	int estimated;
	int http_status;
	const char *outcome;
	const char *reason;
	double latency_ms;
	double ttfb_ms;
	int32_t client_pid;
	const char *client_exe;
	int64_t count; /* refused rows: how many refusals it stands for */
};

enum ora_ledger_mode {
	ORA_LEDGER_READ_WRITE = 0, /* creates the file (0600) and schema; writes
	                              go into a batch, durable at commit */
	ORA_LEDGER_READ_ONLY,      /* reports: never writes */
	ORA_LEDGER_LOGGED,         /* orad: as READ_WRITE, but writes go to the
	                              intent log first; one process at a time */
};

/* Open the SQLite ledger at path. */
int ora_ledger_open(const char *path, enum ora_ledger_mode mode, struct ora_ledger **out,
    struct ora_error *err);

/* Which backend, and where. */
enum ora_ledger_kind {
	ORA_LEDGER_SQLITE = 0,
	ORA_LEDGER_POSTGRESQL,
};

struct ora_ledger_target {
	enum ora_ledger_kind kind;
	const char *path;      /* SQLite: the database file */
	const char *conninfo;  /* PostgreSQL: a libpq connection string */
	const char *password;  /* PostgreSQL: unsealed, or NULL */
	const char *host_name; /* PostgreSQL: this host's name in its rows */
};

/* Open the ledger t names; PostgreSQL fails with a clear message when ora
 * was built without libpq. The backend's name, for messages. */
int ora_ledger_open_target(const struct ora_ledger_target *t, enum ora_ledger_mode mode,
    struct ora_ledger **out, struct ora_error *err);
const char *ora_ledger_backend_name(const struct ora_ledger *l);

/* 1 when this build can open kind. */
int ora_ledger_kind_available(enum ora_ledger_kind kind);
void ora_ledger_close(struct ora_ledger *l);

/* Writes are grouped: ora_ledger_commit() puts all of them into SQLite in
 * one transaction. READ_WRITE: nothing written is durable (or visible to
 * readers) before it. LOGGED: every write is durable already; the commit
 * folds the log into SQLite, where other processes see it. A failed commit
 * loses nothing: the writes wait for the next. */
int ora_ledger_commit(struct ora_ledger *l, struct ora_error *err);

/* 1 while writes wait for ora_ledger_commit(). */
int ora_ledger_dirty(const struct ora_ledger *l);

/* LOGGED: 1 when the log is filling up and should be folded now rather
 * than at the usual time; the number of writes waiting for the fold. */
int ora_ledger_fold_due(const struct ora_ledger *l);
uint64_t ora_ledger_pending(const struct ora_ledger *l);

/* Insert an admitted request (state 'open'); e->id is set. LOGGED:
 * durable when this returns 0. */
int ora_ledger_admit(struct ora_ledger *l, struct ora_ledger_entry *e, struct ora_error *err);

/* Record the generation id as soon as the upstream names it, so that a
 * crash after this point can still be reconciled. */
int ora_ledger_note_generation(struct ora_ledger *l, int64_t id, const char *generation_id,
    struct ora_error *err);

/* Complete row e->id with every result field of e (state, settled_ms,
 * served model, tokens, cost, status, outcome...). */
int ora_ledger_settle(struct ora_ledger *l, const struct ora_ledger_entry *e, struct ora_error *err);

/* Complete a row whose cost was learned after it finished (from the
 * upstream's generation record), or given up on (estimated = 1: the cost is
 * the reservation). model may be NULL to keep what the row has. */
int ora_ledger_reconciled(struct ora_ledger *l, int64_t id, ora_pico cost, const char *cost_text,
    int64_t prompt_tokens, int64_t completion_tokens, int64_t reasoning_tokens,
    const char *model, int estimated, const char *reason, struct ora_error *err);

/* Record a request refused before it was sent (state 'refused'). The
 * first ORA_LEDGER_REFUSALS_PER_MINUTE refusals of a uid for one reason
 * (e->outcome) in a minute get a row each (e->id set); the rest of that
 * minute's are counted in one more row (its count column, written at the
 * next commit) and e->id is left 0, so that a caller can leave such a
 * refusal out of its log too. With less than ORA_LEDGER_MIN_FREE_BYTES free
 * on the ledger's filesystem, every refusal is counted, none recorded. */
int ora_ledger_refuse(struct ora_ledger *l, struct ora_ledger_entry *e, struct ora_error *err);

/* The newest row of user (uid and name both) with generation_id: fn is
 * called with it (its strings valid during the call) and *found set to 1;
 * *found is 0 when the user has no such row. What orad's
 * GET /api/v1/generation answers from: a user sees only their own. */
int ora_ledger_find_generation(struct ora_ledger *l, uint32_t uid, const char *user,
    const char *generation_id, void (*fn)(const struct ora_ledger_entry *e, void *arg), void *arg,
    int *found, struct ora_error *err);

/* Call fn for every row in state 'open' or 'unsettled', oldest first. The
 * strings in the entry are valid during the call only. */
int ora_ledger_each_unsettled(struct ora_ledger *l,
    void (*fn)(const struct ora_ledger_entry *e, void *arg), void *arg, struct ora_error *err);

/* What rows started in [since_ms, until_ms) count against a budget: the
 * settled cost plus the reservation of rows not yet settled. column is
 * "user", "cost_centre" or "key_name" with value, or NULL for all rows. */
int ora_ledger_spent(struct ora_ledger *l, const char *column, const char *value, int64_t since_ms,
    int64_t until_ms, ora_pico *out, struct ora_error *err);

/* Append to the audit trail (admin actions). */
int ora_ledger_audit(struct ora_ledger *l, uint32_t uid, const char *user, const char *action,
    const char *detail, struct ora_error *err);

/* Fail, naming the cause, when a broker holds the ledger at path; for a
 * broker to stop before it takes anything else. */
int ora_ledger_check_free(const char *path, struct ora_error *err);

/* Writes a broker that stopped left in the intent log, not yet in the
 * database (they will be at its next start); 0 while a broker runs. */
int ora_ledger_unfolded(struct ora_ledger *l, uint64_t *writes, struct ora_error *err);

/* The schema version of the ledger (after the upgrade a read-write open
 * does); a read-only open of a ledger newer than this ora fails. */
int ora_ledger_schema_version(struct ora_ledger *l, int *version, struct ora_error *err);

/* A consistent copy of the ledger at path into dest (a new file, 0600, a
 * single file without WAL), taken with SQLite's online backup API while a
 * broker may be writing; *rows is the number of request rows copied. What
 * the broker has in its intent log and not yet folded (at most 1 s of
 * writes) is in the next backup. */
int ora_ledger_backup(const char *path, const char *dest, int64_t *rows, struct ora_error *err);

/* Delete every request row started before before_ms, and record in table
 * pruned how many and what they cost. Refused (ORA_LEDGER_PRUNE_UNSETTLED,
 * nothing deleted, *unsettled set) while any of those rows has no settled
 * cost. *rows and *cost: what was (or would have been) removed. */
#define ORA_LEDGER_PRUNE_UNSETTLED 1
int ora_ledger_prune(struct ora_ledger *l, int64_t before_ms, uint32_t uid, int64_t *rows,
    ora_pico *cost, int64_t *unsettled, struct ora_error *err);

/* Number of rows and of rows waiting for reconciliation. */
int ora_ledger_counts(struct ora_ledger *l, int64_t *rows, int64_t *unsettled, struct ora_error *err);

/*
 * Reading for reports and the audit trail (oractl, /api/v1/usage).
 */

/* Make the reads until ora_ledger_read_end() see one snapshot of the
 * ledger (one commit of the brokers'), so that a report's dates, rows and
 * total agree. */
int ora_ledger_read_begin(struct ora_ledger *l, struct ora_error *err);
void ora_ledger_read_end(struct ora_ledger *l);

/* The start times of the first and last request rows; *empty = 1 (and
 * the times 0) when there is none. */
int ora_ledger_extent(struct ora_ledger *l, int64_t *first_ms, int64_t *last_ms, int *empty,
    struct ora_error *err);

/* What a report can group rows by. GROUP is the group through which the
 * rule matched ("group research" gives research); MODEL the model that
 * answered, else the one asked for; DAY and MONTH the local date of the
 * start, as the query's date function gives it. */
enum ora_ledger_dim {
	ORA_LEDGER_DIM_COST_CENTRE,
	ORA_LEDGER_DIM_USER,
	ORA_LEDGER_DIM_GROUP,
	ORA_LEDGER_DIM_MODEL,
	ORA_LEDGER_DIM_KEY,
	ORA_LEDGER_DIM_ROLE,
	ORA_LEDGER_DIM_DAY,
	ORA_LEDGER_DIM_MONTH,
	ORA_LEDGER_DIM_HOST,
	ORA_LEDGER_DIM_COUNT,
};

/* The figures of one group of rows. Spend is what the upstream billed for
 * settled requests; requests still in flight or being reconciled show
 * their reservation apart, never as spend. */
struct ora_ledger_sums {
	ora_pico spend;   /* billed cost of settled requests */
	int64_t requests; /* sent upstream (every state but refused) */
	int64_t refused;  /* refused before being sent (SUM(count)); cost 0 */
	int64_t prompt_tokens;
	int64_t completion_tokens;
	int64_t reasoning_tokens;
	int64_t estimated; /* settled at the reservation, cost unknown */
	int64_t unsettled; /* in flight or being reconciled */
	ora_pico reserved; /* held by the unsettled ones; not spend */
};

/* The local date (month: "YYYY-MM", else "YYYY-MM-DD") of an instant, or
 * -1: the calendar is the caller's business (its time zone). */
typedef int (*ora_ledger_date_fn)(int64_t ms, int month, char *buf, size_t size);

#define ORA_LEDGER_DATE_TEXT_MAX 32

struct ora_ledger_report_query {
	int64_t since_ms, until_ms; /* rows started in [since_ms, until_ms) */
	const char *user;           /* filters, or NULL */
	const char *cost_centre;
	enum ora_ledger_dim by[ORA_LEDGER_DIM_COUNT];
	size_t n_by;
	ora_ledger_date_fn date;    /* for DAY and MONTH */
	const char *timezone;       /* the zone date follows, for a backend
	                               that computes dates itself */
};

/* Call fn for each group, ordered by the keys (keys[i] is the value of
 * by[i], never NULL: "-" stands for none). A non-zero return from fn
 * stops and is returned. */
typedef int (*ora_ledger_report_fn)(
    void *arg, const char *const *keys, const struct ora_ledger_sums *sums);
int ora_ledger_report(struct ora_ledger *l, const struct ora_ledger_report_query *q,
    ora_ledger_report_fn fn, void *arg, struct ora_error *err);

/* One entry of the audit trail; the strings may be NULL, valid during the
 * call only. */
struct ora_ledger_audit_row {
	int64_t time_ms;
	int64_t uid;
	const char *user, *action, *detail, *host;
};

/* Call fn for every audit entry since since_ms, oldest first. */
typedef int (*ora_ledger_audit_fn)(void *arg, const struct ora_ledger_audit_row *row);
int ora_ledger_audit_each(struct ora_ledger *l, int64_t since_ms, ora_ledger_audit_fn fn,
    void *arg, struct ora_error *err);

/* What ora_ledger_prune(before_ms) would remove, removing nothing. */
int ora_ledger_prune_preview(struct ora_ledger *l, int64_t before_ms, int64_t *rows,
    ora_pico *cost, int64_t *unsettled, struct ora_error *err);

#endif
