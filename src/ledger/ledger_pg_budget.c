/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ledger_pg_budget.c: reservations on the shared budgets (see
 * ledger_pg_budget.h), from the event loop.
 *
 * One connection of its own, in libpq's pipeline mode: each reservation is
 * one call of ora_budget_reserve (schema version 3), which takes every
 * budget of the request or none, followed by a synchronisation point
 * (PQpipelineSync), so that each is a transaction of its own and a failed
 * one affects no other. Up to SHARED_PIPELINE_MAX of them are in flight at
 * once, sent in the order the requests came, and their answers come back
 * in that order, so the oldest statement in flight owns the next answer.
 * A broker thus admits requests with budgets faster than one per round
 * trip to the database. The connection is made as the shipper's is
 * (ledger_pg_ship.c: PQconnectStartParams and PQconnectPoll); then
 * PQsendQueryParams, PQflush until the bytes are out, and
 * PQconsumeInput/PQisBusy/PQgetResult as the socket becomes readable.
 *
 * When the database cannot answer, a request waiting while the
 * connection is made, or for an answer, gives up after
 * ORA_SHARED_CONNECT_WAIT_MS; while the connection is down (retried after
 * a pause doubling from 250 ms to 4 s) it gives up at once. Giving up is
 * refusing (ledger.unavailable = "refuse": its request's row is settled
 * at $0 locally, and a reservation taken whose answer was lost is
 * released when that row is shipped), or, with an allowance, admitting it
 * on the allowance while there is room (ledger_pg_allow.h): its holds are
 * recorded locally first and delivered before any new reservation once
 * the database answers (ora_budget_allow), so a reservation that was
 * taken after all and the delivered hold are one hold, charged once.
 */
#include "config.h"

#include <event2/event.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "ledger/ledger_pg_allow.h"
#include "ledger/ledger_pg_budget.h"

#define SHARED_RETRY_MIN_MS 250
#define SHARED_RETRY_MAX_MS 4000
/* Statements in flight on the connection at most: enough to cover a
 * round trip at a few thousand admissions a second, few enough that a
 * lost connection gives up on little. */
#define SHARED_PIPELINE_MAX 64

static const char reserve_sql[] =
    "SELECT ora_budget_reserve($1, $2, $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7)";
static const char allow_sql[] =
    "SELECT ora_budget_allow($1, $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])";

enum shared_state { SHARED_DOWN, SHARED_CONNECTING, SHARED_READY };

/* What a statement in flight is. */
enum shared_kind { SHARED_RESERVE, SHARED_ALLOW };

struct ora_shared_wait {
	struct ora_shared_wait *next;
	ora_shared_fn fn; /* NULL once cancelled */
	void *arg;
	char *params[7];
	size_t n_parts;
	/* For the allowance: the request and its parts. */
	int64_t id, amount;
	struct ora_shared_part parts[ORA_SHARED_PARTS_MAX];
};

struct ora_shared_budgets {
	struct event_base *base;
	char *conninfo, *password, *host;
	PGconn *conn;
	enum shared_state state;
	struct event *sock_ev;
	short watching;         /* what sock_ev waits for, on which socket */
	int watching_fd;
	struct event *retry;    /* the next connection attempt */
	struct event *deadline; /* a connection or an answer that takes too long */
	struct event *kick;     /* sends, or gives up on what waits while the database is down */
	int flushing;
	int retry_ms;
	int failed;             /* an outage is under way (logged once) */
	/* The waits, oldest first: the first `sent` have their statements
	 * in flight, in this order; `last_sent` is the last of them. */
	struct ora_shared_wait *head, **tail, *last_sent;
	size_t waiting, sent;
	/* The statements in flight, oldest first (a ring). */
	enum shared_kind inflight[SHARED_PIPELINE_MAX];
	size_t in_first, in_n;
	/* The oldest statement's answer, as it comes. */
	int answered, ended;
	long value;
	struct pg_allow *allow;  /* NULL: refuse while the database is away */
	int delivering;          /* an ora_budget_allow is in flight */
	char *allow_params[6];
};

static void shared_on_socket(evutil_socket_t fd, short what, void *arg);
static void shared_next(struct ora_shared_budgets *b);

static void
shared_arm(struct event *ev, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	evtimer_add(ev, &tv);
}

static void
shared_watch(struct ora_shared_budgets *b, short what)
{
	int fd = PQsocket(b->conn);

	/* A persistent event: changed only when what it waits for changes,
	 * or the socket (libpq may try several addresses while connecting). */
	if (b->sock_ev != NULL && b->watching == what && b->watching_fd == fd)
		return;
	if (b->sock_ev != NULL)
		event_free(b->sock_ev);
	b->sock_ev = event_new(b->base, fd, what | EV_PERSIST, shared_on_socket, b);
	b->watching = what;
	b->watching_fd = fd;
	if (b->sock_ev != NULL)
		event_add(b->sock_ev, NULL);
}

static void
wait_free(struct ora_shared_wait *w)
{
	for (size_t i = 0; i < sizeof(w->params) / sizeof(w->params[0]); i++)
		free(w->params[i]);
	for (size_t i = 0; i < w->n_parts; i++) {
		free((char *)w->parts[i].scope);
		free((char *)w->parts[i].name);
	}
	free(w);
}

static void
allow_params_free(struct ora_shared_budgets *b)
{
	for (size_t i = 1; i < sizeof(b->allow_params) / sizeof(b->allow_params[0]); i++) {
		free(b->allow_params[i]);
		b->allow_params[i] = NULL;
	}
	b->delivering = 0;
}

/* Take the head of the queue off and tell its request. */
static void
shared_pop(struct ora_shared_budgets *b, enum ora_shared_result result, size_t refused)
{
	struct ora_shared_wait *w = b->head;

	if (w == NULL)
		return;
	b->head = w->next;
	if (b->head == NULL)
		b->tail = &b->head;
	if (b->sent > 0 && --b->sent == 0)
		b->last_sent = NULL;
	b->waiting--;
	if (w->fn != NULL)
		w->fn(w->arg, result, refused);
	wait_free(w);
}

/* The database cannot answer: every request waiting is admitted on the
 * allowance while it has room, or refused. */
static void
shared_refuse_all(struct ora_shared_budgets *b)
{
	while (b->head != NULL) {
		struct ora_shared_wait *w = b->head;

		if (w->fn != NULL && pg_allow_limit(b->allow) > 0 &&
		    pg_allow_take(b->allow, w->id, w->parts, w->n_parts, w->amount) == 0)
			shared_pop(b, ORA_SHARED_ALLOWED, 0);
		else
			shared_pop(b, ORA_SHARED_UNAVAILABLE, 0);
	}
}

static void
shared_disconnect(struct ora_shared_budgets *b)
{
	if (b->sock_ev != NULL)
		event_free(b->sock_ev);
	b->sock_ev = NULL;
	if (b->conn != NULL)
		PQfinish(b->conn);
	b->conn = NULL;
	b->flushing = 0;
	/* Every statement in flight lost its answer. A delivery goes again
	 * (to no effect if it arrived); the reservations are given up on
	 * with the requests waiting (shared_refuse_all). */
	b->in_n = 0;
	b->answered = b->ended = 0;
	allow_params_free(b);
	evtimer_del(b->deadline);
}

/* The database is away: give up on every request waiting, try again
 * later. */
static void
shared_fail(struct ora_shared_budgets *b, const char *what, const char *why)
{
	size_t n = strcspn(why, "\n");

	if (!b->failed)
		ora_log_warning("ledger: the shared budgets cannot be reserved (%s: %.*s); requests "
		                "with a budget are %s until PostgreSQL answers again",
		    what, (int)n, why,
		    pg_allow_limit(b->allow) > 0 ? "admitted on this host's allowance, then refused," :
		                                   "refused");
	b->failed = 1;
	shared_disconnect(b);
	b->state = SHARED_DOWN;
	shared_arm(b->retry, b->retry_ms);
	b->retry_ms = b->retry_ms * 2 > SHARED_RETRY_MAX_MS ? SHARED_RETRY_MAX_MS : b->retry_ms * 2;
	shared_refuse_all(b);
}

static void
shared_connect(struct ora_shared_budgets *b)
{
	const char *keys[5], *values[5];
	int k = 0;

	keys[k] = "connect_timeout", values[k++] = "10";
	keys[k] = "application_name", values[k++] = "orad-budgets";
	keys[k] = "dbname", values[k++] = b->conninfo;
	if (b->password != NULL)
		keys[k] = "password", values[k++] = b->password;
	keys[k] = NULL, values[k] = NULL;
	b->conn = PQconnectStartParams(keys, values, 1);
	if (b->conn == NULL) {
		shared_fail(b, "connect", "out of memory");
		return;
	}
	if (PQstatus(b->conn) == CONNECTION_BAD) {
		shared_fail(b, "connect", PQerrorMessage(b->conn));
		return;
	}
	b->state = SHARED_CONNECTING;
	shared_arm(b->deadline, ORA_SHARED_CONNECT_WAIT_MS);
	shared_watch(b, EV_WRITE);
}

/* Queue one statement and its synchronisation point; 0, or -1 once
 * shared_fail has run. */
static int
shared_send(struct ora_shared_budgets *b, enum shared_kind kind, const char *sql, int n,
    const char *const *params)
{
	if (!PQsendQueryParams(b->conn, sql, n, NULL, params, NULL, NULL, 0) ||
	    !PQpipelineSync(b->conn)) {
		shared_fail(b, "send", PQerrorMessage(b->conn));
		return -1;
	}
	if (b->in_n == 0)
		shared_arm(b->deadline, ORA_SHARED_CONNECT_WAIT_MS);
	b->inflight[(b->in_first + b->in_n) % SHARED_PIPELINE_MAX] = kind;
	b->in_n++;
	return 0;
}

/* Send what waits, while the pipeline has room: the allowance's holds
 * first (so that the reservations after them see the budgets with them),
 * then the reservations in the order they came, skipping the ones whose
 * requests went away before it was their turn. Then flush. */
static void
shared_next(struct ora_shared_budgets *b)
{
	struct ora_shared_wait *w;
	int sent = 0;

	if (b->state != SHARED_READY)
		return;
	if (b->allow != NULL && !b->delivering && b->in_n < SHARED_PIPELINE_MAX &&
	    pg_allow_waiting(b->allow) > 0 && pg_allow_batch(b->allow, &b->allow_params[1]) > 0) {
		b->allow_params[0] = b->host;
		b->delivering = 1;
		if (shared_send(b, SHARED_ALLOW, allow_sql, 6, (const char *const *)b->allow_params) != 0)
			return;
		sent = 1;
	}
	while (b->in_n < SHARED_PIPELINE_MAX) {
		w = b->last_sent != NULL ? b->last_sent->next : b->head;
		if (w == NULL)
			break;
		if (w->fn == NULL) {
			/* Cancelled before it was sent: drop it. */
			if (b->last_sent != NULL)
				b->last_sent->next = w->next;
			else
				b->head = w->next;
			if (b->tail == &w->next)
				b->tail = b->last_sent != NULL ? &b->last_sent->next : &b->head;
			b->waiting--;
			wait_free(w);
			continue;
		}
		if (shared_send(b, SHARED_RESERVE, reserve_sql, 7, (const char *const *)w->params) != 0)
			return;
		b->last_sent = w;
		b->sent++;
		sent = 1;
	}
	if (sent) {
		int r = PQflush(b->conn);

		if (r < 0) {
			shared_fail(b, "send", PQerrorMessage(b->conn));
			return;
		}
		b->flushing = r == 1;
	}
	/* Readable always: answers, or the server closing the connection
	 * while idle, so that the next request finds a new one rather than a
	 * dead one. */
	shared_watch(b, b->flushing ? EV_READ | EV_WRITE : EV_READ);
}

/* The oldest statement in flight is answered: 0, or -1 once shared_fail
 * has run. */
static int
shared_answered(struct ora_shared_budgets *b)
{
	enum shared_kind kind = b->inflight[b->in_first];
	long v = b->value;
	int answered = b->answered;

	b->in_first = (b->in_first + 1) % SHARED_PIPELINE_MAX;
	b->in_n--;
	b->answered = b->ended = 0;
	b->value = -1;
	if (b->in_n == 0)
		evtimer_del(b->deadline);
	else
		shared_arm(b->deadline, ORA_SHARED_CONNECT_WAIT_MS);
	if (kind == SHARED_ALLOW) {
		if (!answered || v < 0) {
			shared_fail(b, "deliver the allowance", "the database gave no usable answer");
			return -1;
		}
		allow_params_free(b);
		pg_allow_delivered(b->allow);
		ora_log_info("ledger: %ld holds admitted on the allowance are charged to the shared "
		             "budgets (%zu requests still wait)", v, pg_allow_waiting(b->allow));
		return 0;
	}
	if (!answered || v < 0 || b->sent == 0 || (size_t)v > b->head->n_parts) {
		shared_fail(b, "reserve", "the database gave no usable answer");
		return -1;
	}
	shared_pop(b, v == 0 ? ORA_SHARED_ADMITTED : ORA_SHARED_EXHAUSTED, v > 0 ? (size_t)v - 1 : 0);
	return 0;
}

/* Take the answers that are in: each statement's result, the end of its
 * results (NULL), then its synchronisation point. 0, or -1 once
 * shared_fail has run. */
static int
shared_collect(struct ora_shared_budgets *b)
{
	PGresult *res;

	while (b->in_n > 0 && !PQisBusy(b->conn)) {
		if ((res = PQgetResult(b->conn)) == NULL) {
			if (b->ended)
				break; /* the synchronisation point is not in yet */
			b->ended = 1;
			continue;
		}
		switch (PQresultStatus(res)) {
		case PGRES_PIPELINE_SYNC:
			PQclear(res);
			if (shared_answered(b) != 0)
				return -1;
			continue;
		case PGRES_TUPLES_OK:
			if (PQntuples(res) == 1 && PQnfields(res) == 1) {
				b->value = strtol(PQgetvalue(res, 0, 0), NULL, 10);
				b->answered = 1;
			}
			PQclear(res);
			continue;
		default: {
			char *why = ora_xstrdup(PQresultErrorMessage(res));

			PQclear(res);
			shared_fail(b, b->inflight[b->in_first] == SHARED_ALLOW ?
			    "deliver the allowance" : "reserve", why);
			free(why);
			return -1;
		}
		}
	}
	return 0;
}

static void
shared_on_socket(evutil_socket_t fd, short what, void *arg)
{
	struct ora_shared_budgets *b = arg;

	if (b->state == SHARED_CONNECTING) {
		switch (PQconnectPoll(b->conn)) {
		case PGRES_POLLING_READING:
			shared_watch(b, EV_READ);
			return;
		case PGRES_POLLING_WRITING:
			shared_watch(b, EV_WRITE);
			return;
		case PGRES_POLLING_OK:
			if (PQsetnonblocking(b->conn, 1) != 0 || !PQenterPipelineMode(b->conn)) {
				shared_fail(b, "connect", PQerrorMessage(b->conn));
				return;
			}
			evtimer_del(b->deadline);
			if (b->failed)
				ora_log_info("ledger: the shared budgets answer again");
			b->failed = 0;
			b->retry_ms = SHARED_RETRY_MIN_MS;
			b->state = SHARED_READY;
			shared_next(b);
			return;
		default:
			shared_fail(b, "connect", PQerrorMessage(b->conn));
			return;
		}
	}
	if ((what & EV_READ) && !PQconsumeInput(b->conn)) {
		shared_fail(b, "read", PQerrorMessage(b->conn));
		return;
	}
	if (b->flushing) {
		int r = PQflush(b->conn);

		if (r < 0) {
			shared_fail(b, "send", PQerrorMessage(b->conn));
			return;
		}
		b->flushing = r == 1;
	}
	if (b->in_n == 0 && PQstatus(b->conn) == CONNECTION_BAD) {
		/* Idle, and the server closed the connection. */
		shared_fail(b, "read", PQerrorMessage(b->conn));
		return;
	}
	if (shared_collect(b) != 0)
		return;
	shared_next(b);
}

static void
shared_on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct ora_shared_budgets *b = arg;

	if (b->state == SHARED_DOWN)
		shared_connect(b);
}

static void
shared_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	shared_fail(arg, "wait", "no answer in time");
}

static void
shared_on_kick(evutil_socket_t fd, short what, void *arg)
{
	struct ora_shared_budgets *b = arg;

	if (b->state == SHARED_DOWN)
		shared_refuse_all(b);
	else if (b->state == SHARED_READY)
		shared_next(b);
}

/* A PostgreSQL array literal of n strings: {"a","b"}. */
static char *
array_text(const struct ora_shared_part *parts, size_t n, int which)
{
	size_t cap = 3, len = 0;
	char *out, num[32];

	for (size_t i = 0; i < n; i++)
		cap += which < 2 ? 2 * strlen(which == 0 ? parts[i].scope : parts[i].name) + 3 : 24;
	out = ora_xcalloc(1, cap);
	out[len++] = '{';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			out[len++] = ',';
		if (which < 2) {
			const char *s = which == 0 ? parts[i].scope : parts[i].name;

			out[len++] = '"';
			for (; *s; s++) {
				if (*s == '"' || *s == '\\')
					out[len++] = '\\';
				out[len++] = *s;
			}
			out[len++] = '"';
		} else {
			snprintf(num, sizeof(num), "%lld",
			    (long long)(which == 2 ? parts[i].period_start_ms : parts[i].limit));
			memcpy(out + len, num, strlen(num));
			len += strlen(num);
		}
	}
	out[len++] = '}';
	out[len] = '\0';
	return out;
}

struct ora_shared_wait *
ora_shared_reserve(struct ora_shared_budgets *b, int64_t id, const struct ora_shared_part *parts,
    size_t n, int64_t amount, ora_shared_fn fn, void *arg)
{
	struct ora_shared_wait *w = ora_xcalloc(1, sizeof(*w));

	if (n > ORA_SHARED_PARTS_MAX)
		n = ORA_SHARED_PARTS_MAX;
	w->fn = fn;
	w->arg = arg;
	w->n_parts = n;
	w->id = id;
	w->amount = amount;
	for (size_t i = 0; i < n; i++) {
		w->parts[i] = parts[i];
		w->parts[i].scope = ora_xstrdup(parts[i].scope);
		w->parts[i].name = ora_xstrdup(parts[i].name);
	}
	w->params[0] = ora_xstrdup(b->host);
	w->params[1] = ora_xasprintf("%lld", (long long)id);
	for (int i = 0; i < 4; i++)
		w->params[2 + i] = array_text(parts, n, i);
	w->params[6] = ora_xasprintf("%lld", (long long)amount);
	*b->tail = w;
	b->tail = &w->next;
	b->waiting++;
	/* From the loop, so that fn is never called from in here, and so
	 * that the requests of one turn of the loop go out in one write. */
	if (b->state == SHARED_DOWN || b->state == SHARED_READY)
		shared_arm(b->kick, 0);
	return w;
}

void
ora_shared_cancel(struct ora_shared_wait *w)
{
	if (w != NULL)
		w->fn = NULL;
}

size_t
ora_shared_waiting(const struct ora_shared_budgets *b)
{
	return b != NULL ? b->waiting : 0;
}

int
ora_shared_connected(const struct ora_shared_budgets *b)
{
	return b != NULL && b->state == SHARED_READY;
}

int64_t
ora_shared_allowance(const struct ora_shared_budgets *b)
{
	return b != NULL ? pg_allow_limit(b->allow) : 0;
}

int64_t
ora_shared_allowance_used(const struct ora_shared_budgets *b)
{
	return b != NULL ? pg_allow_used(b->allow) : 0;
}

size_t
ora_shared_allowance_waiting(const struct ora_shared_budgets *b)
{
	return b != NULL ? pg_allow_waiting(b->allow) : 0;
}

int
ora_shared_budgets_new(struct event_base *base, const struct ora_ledger_target *t,
    const struct ora_shared_options *opts, struct ora_shared_budgets **out,
    struct ora_error *err)
{
	struct ora_shared_budgets *b;
	char name[256];

	*out = NULL;
	if (t->kind != ORA_LEDGER_POSTGRESQL || t->conninfo == NULL)
		return ora_error_set(err, "ledger: shared budgets need a postgresql ledger");
	b = ora_xcalloc(1, sizeof(*b));
	b->base = base;
	b->conninfo = ora_xstrdup(t->conninfo);
	b->password = t->password != NULL ? ora_xstrdup(t->password) : NULL;
	/* The same name as the shipper's, so that its rows settle these holds. */
	if (t->host_name != NULL && *t->host_name != '\0')
		b->host = ora_xstrdup(t->host_name);
	else if (gethostname(name, sizeof(name)) == 0) {
		name[sizeof(name) - 1] = '\0';
		b->host = ora_xstrdup(name);
	} else
		b->host = ora_xstrdup("localhost");
	b->tail = &b->head;
	b->retry_ms = SHARED_RETRY_MIN_MS;
	b->state = SHARED_DOWN;
	b->retry = evtimer_new(base, shared_on_retry, b);
	b->deadline = evtimer_new(base, shared_on_deadline, b);
	b->kick = evtimer_new(base, shared_on_kick, b);
	if (b->retry == NULL || b->deadline == NULL || b->kick == NULL) {
		ora_shared_budgets_free(b);
		return ora_error_set(err, "ledger: cannot create the shared budgets' timers");
	}
	if (opts != NULL && opts->allowance_path != NULL &&
	    pg_allow_open(opts->allowance_path, opts->allowance, &b->allow, err) != 0) {
		ora_shared_budgets_free(b);
		return -1;
	}
	/* Connect now, from here: the first requests wait for it. */
	shared_connect(b);
	*out = b;
	return 0;
}

void
ora_shared_budgets_free(struct ora_shared_budgets *b)
{
	if (b == NULL)
		return;
	/* Nothing waits at exit: the requests are gone. */
	for (struct ora_shared_wait *w = b->head; w != NULL; w = w->next)
		w->fn = NULL;
	while (b->head != NULL)
		shared_pop(b, ORA_SHARED_UNAVAILABLE, 0);
	shared_disconnect(b);
	if (b->retry != NULL)
		event_free(b->retry);
	if (b->deadline != NULL)
		event_free(b->deadline);
	if (b->kick != NULL)
		event_free(b->kick);
	free(b->conninfo);
	if (b->password != NULL) {
		explicit_bzero(b->password, strlen(b->password));
		free(b->password);
	}
	free(b->host);
	pg_allow_free(b->allow);
	free(b);
}
