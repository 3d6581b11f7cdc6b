/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * audit.h: the trail of what administrators did with oractl.
 *
 * Each action oractl performs on ora's state (init, key add, key rotate,
 * key rm) is recorded with who did it and when, in two places: the audit
 * table of the ledger (state_dir/ledger.db, where orad records reloads
 * too), and the system log (ident "oractl", facility LOG_AUTHPRIV). A
 * detail names keys by name and fingerprint, never the key.
 */
#ifndef ORACTL_AUDIT_H
#define ORACTL_AUDIT_H

struct oractl;

/* Who runs oractl, for the trail: "alice" or, under sudo, "root (sudo:
 * alice)". SUDO_USER is believed only when the real uid is 0, since anyone
 * can set it in their own environment (and root could claim anything). */
void oractl_audit_who(char *buf, unsigned long size);

/* Record action (e.g. "key rotate") with a detail. A failure to write the
 * ledger is a warning, not an error: the action has happened, and the
 * system log still has it. The configuration must be loaded. */
void oractl_audit(struct oractl *ctl, const char *action, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
