/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ledger_target.h: which ledger oractl's commands read and write, from the
 * configuration: the SQLite file in the state directory, or the
 * PostgreSQL database of the ledger section (with its password unsealed
 * from the keystore). Commands open it through ledger.h and never learn
 * which backend it is, except to phrase a message.
 */
#ifndef ORACTL_LEDGER_TARGET_H
#define ORACTL_LEDGER_TARGET_H

#include "ledger/ledger.h"
#include "oractl/oractl.h"

/* What the configuration names; loads it if need be, and says why not
 * (oractl_error). Free with oractl_ledger_target_clear. */
int oractl_ledger_target(struct oractl *ctl, struct ora_ledger_target *t);

/* The same from a loaded configuration, the error in err. */
struct ora_conf;
int oractl_ledger_target_conf(
    const struct ora_conf *conf, struct ora_ledger_target *t, struct ora_error *err);
void oractl_ledger_target_clear(struct ora_ledger_target *t);

/* How to name t in messages: the file, or "the PostgreSQL ledger". */
const char *oractl_ledger_target_name(const struct ora_ledger_target *t);

#endif
