/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <event2/event.h>
#include <stdint.h>

#include "common/log.h"
#include "ledger/ledger.h"
#include "orad/journal.h"
#include "orad/orad.h"

static void arm(struct orad *d, int by_count);

static void
fold(struct orad *d)
{
	struct ora_error err;

	if (d->journal_timer != NULL)
		evtimer_del(d->journal_timer);
	if (d->journal_idle != NULL)
		event_del(d->journal_idle);
	if (d->ledger == NULL)
		return;
	/* (A reader inside orad may have folded already: then there is
	 * nothing to do but to say that the failures are over.) */
	if (ora_ledger_dirty(d->ledger) && ora_ledger_commit(d->ledger, &err) != 0) {
		/* Nothing is lost: the writes stay in the log. Say so once
		 * per spell of failures, and keep trying. */
		if (!d->journal_failing)
			ora_log_error("%s; retrying", err.msg);
		d->journal_failing = 1;
		journal_touch(d);
		return;
	}
	if (d->journal_failing)
		ora_log_warning("ledger: writes reach the database again");
	d->journal_failing = 0;
	/* The ledger may have kept the writes in its log while its
	 * checkpointer restarts the WAL: fold them at the next chance, by
	 * time (by count, the loop would try again at every idle turn). */
	if (ora_ledger_dirty(d->ledger))
		arm(d, 0);
}

static void
on_fold(evutil_socket_t fd, short what, void *arg)
{
	fold(arg);
}

int
journal_init(struct orad *d)
{
	d->journal_timer = evtimer_new(d->base, on_fold, d);
	d->journal_idle = evtimer_new(d->base, on_fold, d);
	if (d->journal_timer == NULL || d->journal_idle == NULL ||
	    event_priority_set(d->journal_idle, ORAD_PRIORITY_IDLE) != 0)
		return -1;
	return 0;
}

void
journal_free(struct orad *d)
{
	if (d->journal_timer != NULL)
		event_free(d->journal_timer);
	if (d->journal_idle != NULL)
		event_free(d->journal_idle);
	d->journal_timer = NULL;
	d->journal_idle = NULL;
}

/* Fold when due: by count when by_count, else by time only. */
static void
arm(struct orad *d, int by_count)
{
	struct timeval latest = {JOURNAL_FOLD_MS / 1000, JOURNAL_FOLD_MS % 1000 * 1000};
	struct timeval retry = {JOURNAL_RETRY_S, 0};
	uint64_t pending;

	if (d->journal_timer == NULL)
		return;
	if (d->journal_failing) {
		/* Each attempt may wait for the database's lock a little: try
		 * again now and then, not at every write. */
		if (!evtimer_pending(d->journal_timer, NULL))
			evtimer_add(d->journal_timer, &retry);
		return;
	}
	/* Nothing waits (no ledger, or a PostgreSQL one, which writes
	 * through at once): no timer to wake the loop for. */
	if (d->ledger == NULL || !ora_ledger_dirty(d->ledger))
		return;
	if (ora_ledger_fold_due(d->ledger)) {
		/* Runs after the callbacks already due in this turn. */
		event_active(d->journal_timer, EV_TIMEOUT, 0);
		return;
	}
	/* (No system call: libevent keeps its timers in memory, and the
	 * earliest only sets the next epoll_wait's timeout.) */
	if (!evtimer_pending(d->journal_timer, NULL))
		evtimer_add(d->journal_timer, &latest);
	if (!by_count)
		return;
	pending = ora_ledger_pending(d->ledger);
	if (pending >= JOURNAL_BUSY_WRITES)
		event_active(d->journal_timer, EV_TIMEOUT, 0);
	else if (pending >= JOURNAL_IDLE_WRITES)
		/* libevent runs an active event of the lowest priority only
		 * in a turn where nothing of a higher one is ready: when the
		 * loop is idle. */
		event_active(d->journal_idle, EV_TIMEOUT, 0);
}

void
journal_touch(struct orad *d)
{
	arm(d, 1);
}

void
journal_flush(struct orad *d)
{
	fold(d);
}
