/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * listen_addr.h: the addresses of `daemon.listen`, orad's optional loopback
 * TCP listeners.
 *
 * orad learns who a TCP caller is by asking the kernel who owns the
 * client's socket (orad/tcpident.h). That answer is only about a socket of
 * this machine when both ends are on loopback, so nothing else may ever be
 * bound: the check lives here, in the configuration, so that `orad -t` and
 * `oractl check` refuse such a file before orad would start, and again in
 * orad where the socket is made.
 */
#ifndef ORA_LISTEN_ADDR_H
#define ORA_LISTEN_ADDR_H

#include <sys/socket.h>

#include "common/util.h"

/* The setting named in every refusal. */
#define ORA_LISTEN_SETTING "daemon.listen"
/* At most this many addresses (one per family and port is the use). */
#define ORA_LISTEN_MAX 8

/* Parse "127.0.0.1:8391" or "[::1]:8391" (numeric addresses only, port
 * 1-65535) into *ss and *len. An address that is not loopback (127.0.0.0/8
 * or ::1; a v4-mapped IPv6 address is refused, being a dual-stack socket in
 * disguise) is refused with a sentence naming the setting. */
int ora_listen_addr_parse(
    const char *spec, struct sockaddr_storage *ss, socklen_t *len, struct ora_error *err);

#endif
