#include "config.h"

#include <event2/event.h>

#include "common/log.h"
#include "ledger/ledger.h"
#include "orad/exchange.h"
#include "orad/journal.h"
#include "orad/orad.h"

static void
commit(struct orad *d)
{
	struct orad_exchange *x, *next;
	struct ora_error err;
	int failed = 0;

	d->journal_scheduled = 0;
	if (d->journal_lazy != NULL)
		evtimer_del(d->journal_lazy);
	for (x = d->journal_notes; x != NULL; x = next) {
		next = x->note_next;
		x->note_next = NULL;
		x->note_pending = 0;
		if (d->ledger != NULL && x->usage.generation_id[0] != '\0' &&
		    ora_ledger_note_generation(d->ledger, x->ledger_id, x->usage.generation_id, &err) != 0)
			ora_log_error("%s", err.msg);
	}
	d->journal_notes = NULL;
	if (d->ledger != NULL && ora_ledger_dirty(d->ledger) && ora_ledger_commit(d->ledger, &err) != 0) {
		ora_log_error("%s", err.msg);
		failed = 1;
	}
	/* Take the list first: starting an exchange may queue new work. */
	x = d->journal_waiting;
	d->journal_waiting = NULL;
	for (; x != NULL; x = next) {
		next = x->journal_next;
		x->journal_next = NULL;
		x->journal_waiting = 0;
		relay_committed(x, failed);
	}
}

static void
on_commit(evutil_socket_t fd, short what, void *arg)
{
	commit(arg);
}

int
journal_init(struct orad *d)
{
	d->journal_event = event_new(d->base, -1, 0, on_commit, d);
	d->journal_lazy = evtimer_new(d->base, on_commit, d);
	return d->journal_event != NULL && d->journal_lazy != NULL ? 0 : -1;
}

void
journal_free(struct orad *d)
{
	if (d->journal_event != NULL)
		event_free(d->journal_event);
	if (d->journal_lazy != NULL)
		event_free(d->journal_lazy);
	d->journal_event = NULL;
	d->journal_lazy = NULL;
}

void
journal_touch_soon(struct orad *d)
{
	struct timeval tv = { 0, JOURNAL_LAZY_MS * 1000 };

	if (d->journal_scheduled || d->journal_lazy == NULL || evtimer_pending(d->journal_lazy, NULL))
		return;
	evtimer_add(d->journal_lazy, &tv);
}

void
journal_touch(struct orad *d)
{
	if (d->journal_scheduled || d->journal_event == NULL)
		return;
	d->journal_scheduled = 1;
	/* Activated now, it runs after the callbacks already due in this
	 * turn: everything they write shares the commit. */
	event_active(d->journal_event, EV_TIMEOUT, 0);
}

void
journal_wait(struct orad *d, struct orad_exchange *x)
{
	x->journal_waiting = 1;
	x->journal_next = d->journal_waiting;
	d->journal_waiting = x;
	journal_touch(d);
}

void
journal_note_generation(struct orad *d, struct orad_exchange *x)
{
	if (x->note_pending)
		return;
	x->note_pending = 1;
	x->note_next = d->journal_notes;
	d->journal_notes = x;
	journal_touch_soon(d);
}

void
journal_forget(struct orad *d, struct orad_exchange *x)
{
	if (x->note_pending) {
		for (struct orad_exchange **p = &d->journal_notes; *p != NULL; p = &(*p)->note_next) {
			if (*p == x) {
				*p = x->note_next;
				break;
			}
		}
		x->note_pending = 0;
		x->note_next = NULL;
	}
	if (!x->journal_waiting)
		return;
	for (struct orad_exchange **p = &d->journal_waiting; *p != NULL; p = &(*p)->journal_next) {
		if (*p == x) {
			*p = x->journal_next;
			break;
		}
	}
	x->journal_waiting = 0;
	x->journal_next = NULL;
}

void
journal_flush(struct orad *d)
{
	commit(d);
}
