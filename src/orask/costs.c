/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * costs.c: the cost of exchanges cut short, learned after the fact.
 *
 * An answer interrupted by Ctrl-C, a timeout or a broken stream ends
 * before the usage chunk that carries its cost; the broker learns the cost
 * from the upstream a second or so later and settles its ledger row. orask
 * kept the generation id, and asks the broker for that row (GET
 * /api/v1/generation?id=...) when the exchange is next shown: orask log
 * and orask show fill in what is known and show the rest as pending.
 */
#include "config.h"

#include <stdlib.h>

#include "orask/orask.h"

/* orask log is for reading: a broker that is slow or gone costs it at
 * most this long, once, and the lookups of one run are bounded. */
#define COST_LOOKUP_TIMEOUT_MS 2000L
#define COST_LOOKUPS_MAX 20

/* 1 when the broker answered (whether or not it knew the cost), 0 when
 * it could not be asked: stop asking. */
static int
look_up(struct ora_client *c, struct orask_history *h, struct orask_exchange *e)
{
	struct ora_generation *g;
	enum ora_status r;
	char msg[1024];

	r = ora_client_generation(c, e->generation, &g);
	if (r == ORA_OK) {
		if (g->has_cost &&
		    orask_history_set_cost(h, e->seq, g->model, g->prompt_tokens,
		        g->completion_tokens, g->cost, e, msg, sizeof(msg)) != ORASK_HISTORY_OK)
			orask_warn("%s", msg);
		ora_generation_free(g);
		return 1;
	}
	/* Not known yet, or no such generation of ours: pending for now. */
	return r != ORA_E_UNREACHABLE && r != ORA_E_TIMEOUT && r != ORA_E_CANCELLED &&
	       r != ORA_E_PROTOCOL;
}

void
orask_fill_costs(const struct orask_options *o, struct orask_history *h, struct orask_exchanges *x)
{
	struct ora_client *c = NULL;
	size_t i, asked = 0;

	for (i = x->n; i-- > 0 && asked < COST_LOOKUPS_MAX;) {
		if (!orask_exchange_cost_pending(&x->items[i]))
			continue;
		if (c == NULL) {
			if (ora_client_open(o->socket, &c) != ORA_OK)
				return;
			ora_client_set_timeout(c, COST_LOOKUP_TIMEOUT_MS);
			if (o->cost_centre != NULL)
				(void)ora_client_set_cost_centre(c, o->cost_centre);
		}
		asked++;
		if (!look_up(c, h, &x->items[i]))
			break;
	}
	ora_client_close(c);
}
