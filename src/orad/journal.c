#include "config.h"

#include <event2/event.h>

#include "common/log.h"
#include "ledger/ledger.h"
#include "orad/journal.h"
#include "orad/orad.h"

static void
fold(struct orad *d)
{
	struct ora_error err;

	if (d->journal_timer != NULL)
		evtimer_del(d->journal_timer);
	if (d->ledger == NULL || !ora_ledger_dirty(d->ledger))
		return;
	if (ora_ledger_commit(d->ledger, &err) != 0) {
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
	return d->journal_timer != NULL ? 0 : -1;
}

void
journal_free(struct orad *d)
{
	if (d->journal_timer != NULL)
		event_free(d->journal_timer);
	d->journal_timer = NULL;
}

void
journal_touch(struct orad *d)
{
	struct timeval tv = {0, JOURNAL_FOLD_MS * 1000};

	if (d->journal_timer == NULL)
		return;
	if (d->ledger != NULL && ora_ledger_fold_due(d->ledger) && !d->journal_failing) {
		/* Runs after the callbacks already due in this turn. */
		event_active(d->journal_timer, EV_TIMEOUT, 0);
		return;
	}
	if (!evtimer_pending(d->journal_timer, NULL))
		evtimer_add(d->journal_timer, &tv);
}

void
journal_flush(struct orad *d)
{
	fold(d);
}
