/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ledger_fold.c: the intent log in front of the ledger (see ledger_log.h
 * for why): each write becomes one record, and the records are folded into
 * SQLite together, in order, in one transaction that also notes the last
 * record folded. So a record is either in SQLite or still in the log, never
 * both and never neither, whenever the broker dies.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "ledger/ledger_internal.h"

/* A record: the numbers of an entry, then its strings, each followed by
 * its terminating NUL, in the order below; a LEDGER_COUNT record then ends
 * with the row's count (int64_t), so records of the other types read as
 * they always did. */
struct entry_numbers {
	int64_t id, started_ms, settled_ms;
	int64_t prompt_tokens, completion_tokens, reasoning_tokens, cached_tokens;
	int64_t cost, reserved;
	double latency_ms, ttfb_ms;
	uint32_t uid;
	int32_t rule_line, stream, estimated, http_status, client_pid;
	uint32_t lengths[15]; /* NO_STRING for NULL */
};

#define NO_STRING UINT32_MAX

static const size_t entry_strings[] = {
	offsetof(struct ora_ledger_entry, state),
	offsetof(struct ora_ledger_entry, user),
	offsetof(struct ora_ledger_entry, rule_match),
	offsetof(struct ora_ledger_entry, role),
	offsetof(struct ora_ledger_entry, cost_centre),
	offsetof(struct ora_ledger_entry, key_name),
	offsetof(struct ora_ledger_entry, model_requested),
	offsetof(struct ora_ledger_entry, models_requested),
	offsetof(struct ora_ledger_entry, model_served),
	offsetof(struct ora_ledger_entry, provider),
	offsetof(struct ora_ledger_entry, generation_id),
	offsetof(struct ora_ledger_entry, cost_text),
	offsetof(struct ora_ledger_entry, outcome),
	offsetof(struct ora_ledger_entry, reason),
	offsetof(struct ora_ledger_entry, client_exe),
};

#define ENTRY_STRINGS (sizeof(entry_strings) / sizeof(entry_strings[0]))
_Static_assert(ENTRY_STRINGS == sizeof(((struct entry_numbers *)0)->lengths) / sizeof(uint32_t),
    "one length per string of an entry");

static const char *
string_of(const struct ora_ledger_entry *e, size_t i)
{
	return *(const char *const *)(const void *)((const char *)e + entry_strings[i]);
}

/* The same field, to set when decoding. */
static const char **
string_field(struct ora_ledger_entry *e, size_t i)
{
	return (const char **)(void *)((char *)e + entry_strings[i]);
}

/* Admissions stop at three quarters of the log, so that the writes of
 * requests already in flight (settlements) still fit while folding fails. */
static size_t
room_for(const struct ledger_sqlite *l, enum ledger_write what)
{
	size_t capacity = ora_ledger_log_capacity(l->log);

	return what == LEDGER_ADMIT || what == LEDGER_REFUSE ? capacity / 4 * 3 : capacity;
}

int
ledger_log_write(struct ledger_sqlite *l, enum ledger_write what, const struct ora_ledger_entry *e,
    struct ora_error *err)
{
	struct entry_numbers n = {
		.id = e->id,
		.started_ms = e->started_ms,
		.settled_ms = e->settled_ms,
		.prompt_tokens = e->prompt_tokens,
		.completion_tokens = e->completion_tokens,
		.reasoning_tokens = e->reasoning_tokens,
		.cached_tokens = e->cached_tokens,
		.cost = e->cost,
		.reserved = e->reserved,
		.latency_ms = e->latency_ms,
		.ttfb_ms = e->ttfb_ms,
		.uid = e->uid,
		.rule_line = e->rule_line,
		.stream = e->stream,
		.estimated = e->estimated,
		.http_status = e->http_status,
		.client_pid = e->client_pid,
	};
	size_t len = sizeof(n), tail = what == LEDGER_COUNT ? sizeof(e->count) : 0;
	char *p, *out;

	for (size_t i = 0; i < ENTRY_STRINGS; i++) {
		const char *s = string_of(e, i);
		size_t sl = s != NULL ? strlen(s) : 0;

		if (sl >= NO_STRING)
			sl = NO_STRING - 1;
		n.lengths[i] = s != NULL ? (uint32_t)sl : NO_STRING;
		len += s != NULL ? sl + 1 : 0;
	}
	len += tail;
	out = ora_ledger_log_reserve(l->log, len, room_for(l, what));
	if (out == NULL)
		return ora_error_set(err,
		    "ledger: %s is full: its writes cannot be folded into %s (see the errors "
		    "before this one)",
		    l->log_path, l->path);
	memcpy(out, &n, sizeof(n));
	p = out + sizeof(n);
	for (size_t i = 0; i < ENTRY_STRINGS; i++) {
		if (n.lengths[i] == NO_STRING)
			continue;
		memcpy(p, string_of(e, i), n.lengths[i]);
		p += n.lengths[i];
		*p++ = '\0';
	}
	if (tail != 0)
		memcpy(p, &e->count, tail);
	ora_ledger_log_append(l->log, (uint32_t)what, len);
	return 0;
}

/* The entry a record holds; its strings point into the record. */
static int
decode(uint32_t type, const void *data, size_t len, struct ora_ledger_entry *e)
{
	struct entry_numbers n;
	size_t tail = type == LEDGER_COUNT ? sizeof(e->count) : 0;
	const char *p = (const char *)data + sizeof(n), *end = (const char *)data + len - tail;

	if (len < sizeof(n) + tail)
		return -1;
	memcpy(&n, data, sizeof(n));
	*e = (struct ora_ledger_entry){
		.id = n.id,
		.started_ms = n.started_ms,
		.settled_ms = n.settled_ms,
		.prompt_tokens = n.prompt_tokens,
		.completion_tokens = n.completion_tokens,
		.reasoning_tokens = n.reasoning_tokens,
		.cached_tokens = n.cached_tokens,
		.cost = n.cost,
		.reserved = n.reserved,
		.latency_ms = n.latency_ms,
		.ttfb_ms = n.ttfb_ms,
		.uid = n.uid,
		.rule_line = n.rule_line,
		.stream = n.stream,
		.estimated = n.estimated,
		.http_status = n.http_status,
		.client_pid = n.client_pid,
	};
	for (size_t i = 0; i < ENTRY_STRINGS; i++) {
		if (n.lengths[i] == NO_STRING)
			continue;
		if ((size_t)(end - p) <= n.lengths[i] || p[n.lengths[i]] != '\0')
			return -1;
		*string_field(e, i) = p;
		p += n.lengths[i] + 1;
	}
	if (tail != 0)
		memcpy(&e->count, end, tail);
	return p == end ? 0 : -1;
}

/* A write waiting in the log, and what the fold makes of it. */
struct ledger_queued {
	uint64_t seq;
	uint32_t type;
	uint32_t len;
	const void *data;
	/* An admission whose settlement (and generation id) are in the same
	 * fold: one complete row, inserted once, instead of a row that is
	 * rewritten at a larger size (SQLite's costliest write here). */
	const struct ledger_queued *settlement;
	const struct ledger_queued *note;
	int merged;  /* folded into its admission's row */
	int blocked; /* an admission with a write that cannot be merged */
};

static int
enqueue(void *arg, uint64_t seq, uint32_t type, const void *data, size_t len)
{
	struct ledger_sqlite *l = arg;

	if (l->queue_len == l->queue_cap) {
		l->queue_cap = l->queue_cap ? 2 * l->queue_cap : 256;
		l->queue = ora_xrealloc(l->queue, l->queue_cap * sizeof(*l->queue));
	}
	l->queue[l->queue_len++] = (struct ledger_queued){
		.seq = seq, .type = type, .len = (uint32_t)len, .data = data
	};
	return 0;
}

static int64_t
row_id(const struct ledger_queued *q)
{
	int64_t id = 0;

	if (q->len >= sizeof(struct entry_numbers))
		memcpy(&id, (const char *)q->data + offsetof(struct entry_numbers, id), sizeof(id));
	return id;
}

/* Rows are numbered in the order they are logged, so the admissions of one
 * fold have consecutive ids, and the admission of a later write is found
 * by subtraction. */
static void
pair_writes(struct ledger_sqlite *l)
{
	size_t n = 0;
	int64_t first = 0;

	if (l->admits_cap < l->queue_len) {
		l->admits_cap = l->queue_len;
		l->admits = ora_xrealloc(l->admits, l->admits_cap * sizeof(*l->admits));
	}
	for (size_t i = 0; i < l->queue_len; i++) {
		struct ledger_queued *q = &l->queue[i];

		if (q->type == LEDGER_ADMIT || q->type == LEDGER_REFUSE) {
			if (n == 0)
				first = row_id(q);
			if (row_id(q) != first + (int64_t)n)
				return; /* not numbered as expected: fold write by write */
			l->admits[n++] = i;
			continue;
		}
		int64_t id = row_id(q);
		if (n == 0 || id < first || id >= first + (int64_t)n)
			continue;
		struct ledger_queued *row = &l->queue[l->admits[id - first]];
		if (row->type != LEDGER_ADMIT || row->settlement != NULL || row->blocked)
			continue;
		if (q->type == LEDGER_SETTLE) {
			row->settlement = q;
		} else if (q->type == LEDGER_GENERATION && row->note == NULL) {
			row->note = q;
		} else {
			/* A write that stays in its place: nothing after it
			 * may move before it into the row's insert. */
			row->blocked = 1;
			continue;
		}
		q->merged = 1;
	}
}

/* What the settlement's UPDATE would have made of the row, exactly. */
static void
merge_settlement(struct ora_ledger_entry *row, const struct ora_ledger_entry *s)
{
	row->settled_ms = s->settled_ms;
	row->state = s->state != NULL ? s->state : "settled";
	row->model_served = s->model_served;
	row->provider = s->provider;
	if (s->generation_id != NULL)
		row->generation_id = s->generation_id;
	row->prompt_tokens = s->prompt_tokens;
	row->completion_tokens = s->completion_tokens;
	row->reasoning_tokens = s->reasoning_tokens;
	row->cached_tokens = s->cached_tokens;
	row->cost = s->cost;
	row->cost_text = s->cost_text;
	row->estimated = s->estimated;
	row->http_status = s->http_status;
	row->outcome = s->outcome;
	row->reason = s->reason;
	row->latency_ms = s->latency_ms;
	row->ttfb_ms = s->ttfb_ms;
}

static int
unreadable(struct ledger_sqlite *l, const struct ledger_queued *q)
{
	/* Checksummed, so only a broker of another version could have
	 * written it: keep going, the rest is still good. */
	ora_log_error("ledger: record %llu of %s cannot be read; skipped",
	    (unsigned long long)q->seq, l->log_path);
	return 0;
}

static int
fold_one(struct ledger_sqlite *l, const struct ledger_queued *q, struct ora_error *err)
{
	struct ora_ledger_entry e, more;

	if (q->merged)
		return 0;
	if (q->type < LEDGER_ADMIT || q->type > LEDGER_COUNT || decode(q->type, q->data, q->len, &e) != 0)
		return unreadable(l, q);
	if (q->note != NULL) {
		if (decode(q->note->type, q->note->data, q->note->len, &more) != 0)
			return unreadable(l, q->note);
		e.generation_id = more.generation_id;
	}
	if (q->settlement != NULL) {
		if (decode(q->settlement->type, q->settlement->data, q->settlement->len, &more) != 0)
			return unreadable(l, q->settlement);
		merge_settlement(&e, &more);
		return ledger_insert_settled(l, &e, err);
	}
	return ledger_apply(l, (enum ledger_write)q->type, &e, err);
}

int
ledger_fold(struct ledger_sqlite *l, struct ora_error *err)
{
	uint64_t last = ora_ledger_log_last_seq(l->log);

	if (last > l->folded_seq) {
		l->queue_len = 0;
		ora_ledger_log_each(l->log, l->folded_seq, enqueue, l);
		pair_writes(l);
		for (size_t i = 0; i < l->queue_len; i++) {
			if (fold_one(l, &l->queue[i], err) != 0) {
				ledger_abort_batch(l);
				return -1;
			}
		}
		if (l->queue_len > 0)
			last = l->queue[l->queue_len - 1].seq;
		if (ledger_note_folded(l, last, err) != 0 || ledger_end_batch(l, err) != 0) {
			ledger_abort_batch(l);
			return -1;
		}
		l->folded_seq = last;
	}
	/* Also when the log holds nothing but numbers below folded_seq (it
	 * was replaced, or lost): new records must number above it. */
	if (ora_ledger_log_used(l->log) > 0 || ora_ledger_log_last_seq(l->log) != l->folded_seq)
		ora_ledger_log_restart(l->log, l->folded_seq + 1);
	return 0;
}

void
ledger_fold_free(struct ledger_sqlite *l)
{
	free(l->queue);
	free(l->admits);
	l->queue = NULL;
	l->admits = NULL;
	l->queue_len = l->queue_cap = l->admits_cap = 0;
}

static int
read_folded_seq(struct ledger_sqlite *l, uint64_t *out, struct ora_error *err)
{
	sqlite3_stmt *s;
	int rc;

	*out = 0;
	if (sqlite3_prepare_v2(l->db, "SELECT value FROM meta WHERE key = 'log_folded_seq'", -1, &s,
	        NULL) != SQLITE_OK)
		return ledger_db_error(l, err, "read the log position");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ledger_db_error(l, err, "read the log position");
}

static int
read_next_id(struct ledger_sqlite *l, struct ora_error *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(l->db, "SELECT COALESCE(MAX(id), 0) + 1 FROM requests", -1, &s, NULL) !=
	    SQLITE_OK)
		return ledger_db_error(l, err, "number the rows");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		l->next_id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : ledger_db_error(l, err, "number the rows");
}

int
ora_ledger_check_free(const char *path, struct ora_error *err)
{
	char *log_path = ora_xasprintf("%s" ORA_LEDGER_LOG_SUFFIX, path);
	int r = ora_ledger_log_check_free(log_path, err);

	free(log_path);
	return r;
}

int
ledger_sqlite_unfolded(struct ledger_sqlite *l, uint64_t *writes, struct ora_error *err)
{
	uint64_t folded;
	int in_use;

	*writes = 0;
	if (l->log != NULL)
		return 0; /* this process is the broker */
	if (read_folded_seq(l, &folded, err) != 0)
		return -1;
	return ora_ledger_log_peek(l->log_path, folded, writes, &in_use, err);
}

/* Fold what l->log holds above what the database says it folded. */
static int
replay(struct ledger_sqlite *l, struct ora_error *err)
{
	uint64_t pending;

	if (read_folded_seq(l, &l->folded_seq, err) != 0)
		return -1;
	if ((pending = ledger_sqlite_pending(l)) > 0)
		ora_log_warning("ledger: replaying %llu writes the last broker left in %s",
		    (unsigned long long)pending, l->log_path);
	if (ledger_fold(l, err) != 0)
		return -1;
	return read_next_id(l, err);
}

int
ledger_log_attach(struct ledger_sqlite *l, struct ora_error *err)
{
	if (ora_ledger_log_open(l->log_path, ORA_LEDGER_LOG_BYTES, &l->log, err) != 0)
		return -1;
	return replay(l, err);
}

int
ledger_sqlite_replay(struct ledger_sqlite *l, struct ora_ledger_log *log, struct ora_error *err)
{
	int r;

	if (l->log != NULL || l->mode != ORA_LEDGER_READ_WRITE)
		return ora_error_set(err, "ledger: replay needs a ledger without a log of its own");
	l->log = log;
	r = replay(l, err);
	l->log = NULL;
	return r;
}
