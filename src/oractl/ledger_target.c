/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ledger_target.c: the ledger the configuration names, for oractl.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "config/conf.h"
#include "oractl/ledger_target.h"

int
oractl_ledger_target(struct oractl *ctl, struct ora_ledger_target *t)
{
	memset(t, 0, sizeof(*t));
	if (oractl_conf(ctl) != 0)
		return -1;
	t->kind = ORA_LEDGER_SQLITE;
	t->path = ora_xasprintf("%s/%s", ctl->conf->daemon.state_dir, ORA_LEDGER_FILE);
	return 0;
}

void
oractl_ledger_target_clear(struct ora_ledger_target *t)
{
	free((char *)t->path);
	memset(t, 0, sizeof(*t));
}

const char *
oractl_ledger_target_name(const struct ora_ledger_target *t)
{
	return t->kind == ORA_LEDGER_SQLITE ? t->path : "the PostgreSQL ledger";
}
