/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ledger_backend.h: the table of operations a ledger backend implements,
 * as OpenSMTPD's struct queue_backend keeps its queue storage replaceable.
 * ledger.c turns each ora_ledger_* call into a call through the table of
 * the ledger it is given; ledger_sqlite.c (with its intent log,
 * ledger_fold.c, and upgrades, ledger_maint.c) and ledger_pg.c implement
 * it. Nothing outside src/ledger includes this header.
 *
 * Every backend's handle begins with a struct ora_ledger, so that the
 * table's functions, which take the generic handle, find their own state
 * at the same address.
 */
#ifndef ORA_LEDGER_BACKEND_H
#define ORA_LEDGER_BACKEND_H

#include "ledger/ledger.h"
#include "ledger/ledger_log.h"

struct ledger_backend {
	const char *name;

	int (*open)(const struct ora_ledger_target *t, enum ora_ledger_mode mode,
	    struct ora_ledger **out, struct ora_error *err);
	void (*close)(struct ora_ledger *l);

	/* Writes, and their batching. */
	int (*commit)(struct ora_ledger *l, struct ora_error *err);
	int (*dirty)(const struct ora_ledger *l);
	int (*fold_due)(const struct ora_ledger *l);
	uint64_t (*pending)(const struct ora_ledger *l);
	int (*admit)(struct ora_ledger *l, struct ora_ledger_entry *e, struct ora_error *err);
	int (*note_generation)(
	    struct ora_ledger *l, int64_t id, const char *generation_id, struct ora_error *err);
	int (*settle)(struct ora_ledger *l, const struct ora_ledger_entry *e, struct ora_error *err);
	int (*reconciled)(struct ora_ledger *l, int64_t id, ora_pico cost, const char *cost_text,
	    int64_t prompt_tokens, int64_t completion_tokens, int64_t reasoning_tokens,
	    const char *model, int estimated, const char *reason, struct ora_error *err);
	int (*refuse)(struct ora_ledger *l, struct ora_ledger_entry *e, struct ora_error *err);
	int (*audit)(struct ora_ledger *l, uint32_t uid, const char *user, const char *action,
	    const char *detail, struct ora_error *err);

	/* Reconciliation and budgets. */
	int (*each_unsettled)(struct ora_ledger *l,
	    void (*fn)(const struct ora_ledger_entry *e, void *arg), void *arg,
	    struct ora_error *err);
	int (*find_generation)(struct ora_ledger *l, uint32_t uid, const char *user,
	    const char *generation_id, void (*fn)(const struct ora_ledger_entry *e, void *arg),
	    void *arg, int *found, struct ora_error *err);
	int (*spent)(struct ora_ledger *l, const char *column, const char *value,
	    int64_t since_ms, int64_t until_ms, ora_pico *out, struct ora_error *err);

	/* Upkeep. */
	int (*unfolded)(struct ora_ledger *l, uint64_t *writes, struct ora_error *err);
	int (*schema_version)(struct ora_ledger *l, int *version, struct ora_error *err);
	int (*prune)(struct ora_ledger *l, int64_t before_ms, uint32_t uid, int64_t *rows,
	    ora_pico *cost, int64_t *unsettled, struct ora_error *err);
	int (*prune_preview)(struct ora_ledger *l, int64_t before_ms, int64_t *rows,
	    ora_pico *cost, int64_t *unsettled, struct ora_error *err);
	int (*counts)(
	    struct ora_ledger *l, int64_t *rows, int64_t *unsettled, struct ora_error *err);

	/* Reports and the audit trail. */
	int (*read_begin)(struct ora_ledger *l, struct ora_error *err);
	void (*read_end)(struct ora_ledger *l);
	int (*extent)(struct ora_ledger *l, int64_t *first_ms, int64_t *last_ms, int *empty,
	    struct ora_error *err);
	int (*report)(struct ora_ledger *l, const struct ora_ledger_report_query *q,
	    ora_ledger_report_fn fn, void *arg, struct ora_error *err);
	int (*audit_each)(struct ora_ledger *l, int64_t since_ms, ora_ledger_audit_fn fn,
	    void *arg, struct ora_error *err);
};

struct ora_ledger {
	const struct ledger_backend *be;
};

extern const struct ledger_backend ledger_sqlite_backend;
#ifdef HAVE_LIBPQ
extern const struct ledger_backend ledger_pg_backend;
#endif

#endif
