/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * sandbox.h: what orad may still do once it is serving.
 *
 * orad reads requests from every local user and holds decrypted upstream
 * keys, so a flaw in its parsing must not become a shell or a way into
 * other files. Once the socket is bound, the keys are loaded and root is
 * given up, orad restricts itself for good:
 *
 *  - seccomp (libseccomp): an allowlist of the system calls orad, its
 *    libraries (libevent, libcurl, SQLite, glibc's NSS) and the sanitizers
 *    use. Any other call fails with EPERM and is logged ("sandbox: denied
 *    system call NAME"): the filter traps it (SCMP_ACT_TRAP) and a SIGSYS
 *    handler writes the line and makes the call return -EPERM. The kernel's
 *    own SCMP_ACT_LOG cannot be combined with an errno, and its lines go to
 *    the audit log, which an operator of orad may not read.
 *  - Landlock (raw system calls; best effort by the kernel's ABI version,
 *    skipped with a log line where the kernel lacks it): files can be
 *    written only under state_dir and the socket's directory; read under
 *    the configuration's directory, the master key, /etc (NSS, time zone,
 *    CA certificates, resolver), /usr, /lib*, /proc (clients' program
 *    names) and a few devices; nothing can be executed.
 *
 * A reload (SIGHUP) re-reads the configuration and the keys from the same
 * paths; a reload that moves state_dir or the master key needs a restart.
 * daemon.sandbox = false turns all of it off.
 */
#ifndef ORAD_SANDBOX_H
#define ORAD_SANDBOX_H

#include "common/util.h"

struct orad;

/* Restrict this process (every thread for seccomp; Landlock binds this
 * thread and those it starts later, so call it before starting any).
 * Logs what was applied. Fails only when a restriction the kernel offers
 * could not be applied. */
int sandbox_apply(struct orad *d, struct ora_error *err);

/* A diagnostic: with ORAD_SANDBOX_SELFTEST=PATH in its environment, orad
 * tries, once sandboxed, to run /bin/true and to read PATH, and logs what
 * happened (with the sandbox: "Operation not permitted" and "Permission
 * denied"); it then serves as usual. */
#define SANDBOX_SELFTEST_ENV "ORAD_SANDBOX_SELFTEST"

#endif
