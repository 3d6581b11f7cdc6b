/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ledger.c: the ledger's interface, one call through the table of
 * operations of the ledger's backend (ledger_backend.h) per function.
 */
#include "config.h"

#include "common/util.h"
#include "ledger/ledger_backend.h"
#include "ledger/ledger_ship.h"

int
ora_ledger_kind_available(enum ora_ledger_kind kind)
{
	switch (kind) {
	case ORA_LEDGER_SQLITE:
		return 1;
	case ORA_LEDGER_POSTGRESQL:
#ifdef HAVE_LIBPQ
		return 1;
#else
		return 0;
#endif
	}
	return 0;
}

int
ora_ledger_open_target(const struct ora_ledger_target *t, enum ora_ledger_mode mode,
    struct ora_ledger **out, struct ora_error *err)
{
	*out = NULL;
	switch (t->kind) {
	case ORA_LEDGER_SQLITE:
		return ledger_sqlite_backend.open(t, mode, out, err);
	case ORA_LEDGER_POSTGRESQL:
#ifdef HAVE_LIBPQ
		return ledger_pg_backend.open(t, mode, out, err);
#else
		return ora_error_set(err, "ledger: this ora was built without PostgreSQL support "
		                          "(configure found no libpq): use the sqlite backend");
#endif
	}
	return ora_error_set(err, "ledger: unknown backend %d", (int)t->kind);
}

int
ora_ledger_open(const char *path, enum ora_ledger_mode mode, struct ora_ledger **out,
    struct ora_error *err)
{
	struct ora_ledger_target t = {.kind = ORA_LEDGER_SQLITE, .path = path};

	return ora_ledger_open_target(&t, mode, out, err);
}

const char *
ora_ledger_backend_name(const struct ora_ledger *l)
{
	return l->be->name;
}

void
ora_ledger_close(struct ora_ledger *l)
{
	if (l != NULL)
		l->be->close(l);
}

int
ora_ledger_commit(struct ora_ledger *l, struct ora_error *err)
{
	return l->be->commit(l, err);
}

int
ora_ledger_dirty(const struct ora_ledger *l)
{
	return l->be->dirty(l);
}

int
ora_ledger_fold_due(const struct ora_ledger *l)
{
	return l->be->fold_due(l);
}

uint64_t
ora_ledger_pending(const struct ora_ledger *l)
{
	return l->be->pending(l);
}

int
ora_ledger_admit(struct ora_ledger *l, struct ora_ledger_entry *e, struct ora_error *err)
{
	return l->be->admit(l, e, err);
}

int
ora_ledger_note_generation(
    struct ora_ledger *l, int64_t id, const char *generation_id, struct ora_error *err)
{
	return l->be->note_generation(l, id, generation_id, err);
}

int
ora_ledger_settle(struct ora_ledger *l, const struct ora_ledger_entry *e, struct ora_error *err)
{
	return l->be->settle(l, e, err);
}

int
ora_ledger_reconciled(struct ora_ledger *l, int64_t id, ora_pico cost, const char *cost_text,
    int64_t prompt_tokens, int64_t completion_tokens, int64_t reasoning_tokens,
    const char *model, int estimated, const char *reason, struct ora_error *err)
{
	return l->be->reconciled(l, id, cost, cost_text, prompt_tokens, completion_tokens,
	    reasoning_tokens, model, estimated, reason, err);
}

int
ora_ledger_refuse(struct ora_ledger *l, struct ora_ledger_entry *e, struct ora_error *err)
{
	return l->be->refuse(l, e, err);
}

int
ora_ledger_audit(struct ora_ledger *l, uint32_t uid, const char *user, const char *action,
    const char *detail, struct ora_error *err)
{
	return l->be->audit(l, uid, user, action, detail, err);
}

int
ora_ledger_find_generation(struct ora_ledger *l, uint32_t uid, const char *user,
    const char *generation_id, void (*fn)(const struct ora_ledger_entry *e, void *arg), void *arg,
    int *found, struct ora_error *err)
{
	return l->be->find_generation(l, uid, user, generation_id, fn, arg, found, err);
}

int
ora_ledger_each_unsettled(struct ora_ledger *l,
    void (*fn)(const struct ora_ledger_entry *e, void *arg), void *arg, struct ora_error *err)
{
	return l->be->each_unsettled(l, fn, arg, err);
}

int
ora_ledger_spent(struct ora_ledger *l, const char *column, const char *value, int64_t since_ms,
    int64_t until_ms, ora_pico *out, struct ora_error *err)
{
	return l->be->spent(l, column, value, since_ms, until_ms, out, err);
}

int
ora_ledger_unfolded(struct ora_ledger *l, uint64_t *writes, struct ora_error *err)
{
	return l->be->unfolded(l, writes, err);
}

int
ora_ledger_schema_version(struct ora_ledger *l, int *version, struct ora_error *err)
{
	return l->be->schema_version(l, version, err);
}

int
ora_ledger_prune(struct ora_ledger *l, int64_t before_ms, uint32_t uid, int64_t *rows,
    ora_pico *cost, int64_t *unsettled, struct ora_error *err)
{
	return l->be->prune(l, before_ms, uid, rows, cost, unsettled, err);
}

int
ora_ledger_prune_preview(struct ora_ledger *l, int64_t before_ms, int64_t *rows, ora_pico *cost,
    int64_t *unsettled, struct ora_error *err)
{
	return l->be->prune_preview(l, before_ms, rows, cost, unsettled, err);
}

int
ora_ledger_counts(struct ora_ledger *l, int64_t *rows, int64_t *unsettled, struct ora_error *err)
{
	return l->be->counts(l, rows, unsettled, err);
}

int
ora_ledger_read_begin(struct ora_ledger *l, struct ora_error *err)
{
	return l->be->read_begin(l, err);
}

void
ora_ledger_read_end(struct ora_ledger *l)
{
	l->be->read_end(l);
}

int
ora_ledger_extent(
    struct ora_ledger *l, int64_t *first_ms, int64_t *last_ms, int *empty, struct ora_error *err)
{
	return l->be->extent(l, first_ms, last_ms, empty, err);
}

int
ora_ledger_report(struct ora_ledger *l, const struct ora_ledger_report_query *q,
    ora_ledger_report_fn fn, void *arg, struct ora_error *err)
{
	return l->be->report(l, q, fn, arg, err);
}

int
ora_ledger_audit_each(struct ora_ledger *l, int64_t since_ms, ora_ledger_audit_fn fn, void *arg,
    struct ora_error *err)
{
	return l->be->audit_each(l, since_ms, fn, arg, err);
}

#ifndef HAVE_LIBPQ
/* Without libpq there is no shipping; the configuration refuses to ask. */
int
ora_ledger_ship_new(struct event_base *base, struct ora_ledger *local,
    const struct ora_ledger_target *t, struct ora_ledger_ship **out, struct ora_error *err)
{
	*out = NULL;
	return ora_error_set(err, "ledger: this ora was built without PostgreSQL support");
}

void
ora_ledger_ship_free(struct ora_ledger_ship *s)
{
}

int64_t
ora_ledger_ship_waiting(struct ora_ledger_ship *s)
{
	return 0;
}

uint64_t
ora_ledger_ship_shipped(const struct ora_ledger_ship *s)
{
	return 0;
}

int64_t
ora_ledger_ship_audit_waiting(struct ora_ledger_ship *s)
{
	return 0;
}

int
ora_ledger_ship_connected(const struct ora_ledger_ship *s)
{
	return 0;
}

int
ora_ledger_ship_budget(const struct ora_ledger_ship *s, const char *scope, const char *name,
    int64_t period_start_ms, struct ora_ledger_shared_budget *out)
{
	return 0;
}

const char *
ora_ledger_ship_host(const struct ora_ledger_ship *s)
{
	return "";
}
#endif
