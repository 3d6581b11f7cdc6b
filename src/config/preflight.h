/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * preflight.h: would orad start with this configuration?
 *
 * The loader judges the file; this looks at what the file points to and
 * orad needs at start: the master key (or its systemd credential), every
 * upstream key a cost centre names, the socket's directory and the state
 * directory with its owner. `orad -t` (ExecStartPre= in the unit) and
 * `oractl check` run it, so that a start that would fail is refused with a
 * readable line before systemd tries it.
 */
#ifndef ORA_PREFLIGHT_H
#define ORA_PREFLIGHT_H

#include "config/conf.h"

/* Called once per problem, with a message that says what to do. */
typedef void (*ora_preflight_report)(void *arg, const char *msg);

/* Every check, each failure reported; returns the number of failures.
 * The master key and upstream keys are read and decrypted, then wiped. */
size_t ora_preflight(const struct ora_conf *conf, ora_preflight_report report, void *arg);

#endif
