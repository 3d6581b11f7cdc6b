/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * tcpident.h: who is on the other end of a loopback TCP connection.
 *
 * A Unix socket tells orad its caller through SO_PEERCRED; TCP has no such
 * option. On loopback both ends live in this kernel, so orad asks the kernel
 * (NETLINK_SOCK_DIAG, inet_diag: what ss(8) and identd use) who owns the
 * CLIENT's socket, looked up by its exact four-tuple. The answer is the uid
 * that created that socket (its sk_uid, fixed at socket(2) time, mapped to
 * orad's user namespace), as SO_PEERCRED is the uid that called connect():
 *   - a socket created by user A and handed (SCM_RIGHTS, fork) to B's
 *     process still answers A;
 *   - a process in a user namespace (`unshare -Ur`) answers its real uid;
 *   - a port forwarder that re-originates connections answers the
 *     forwarder's own uid: it must never be run for other users.
 * Everything fails closed: a peer or local address that is not loopback, no
 * socket for the tuple, more than one answer, a socket in a state where the
 * kernel reports no owner (TIME_WAIT, LISTEN, ...) or any netlink error is
 * an error with a sentence, never a guess.
 */
#ifndef ORAD_TCPIDENT_H
#define ORAD_TCPIDENT_H

#include <sys/socket.h>
#include <sys/types.h>

#include "common/util.h"
#include "config/listen_addr.h"

/* The setting named in every refusal of a listen address. */
#define ORAD_TCPIDENT_SETTING ORA_LISTEN_SETTING

/* A netlink socket kept open across lookups (opaque). One per thread. */
struct orad_tcpident;

/* Open the netlink socket. Unprivileged processes may query inet_diag, so
 * this can run before or after orad drops privileges. */
int orad_tcpident_open(struct orad_tcpident **out, struct ora_error *err);
void orad_tcpident_free(struct orad_tcpident *t);

/* The uid owning the client socket of the accepted TCP socket fd. Reads
 * the four-tuple with getsockname/getpeername, then as below. */
int orad_tcpident_fd_uid(struct orad_tcpident *t, int fd, uid_t *uid, struct ora_error *err);

/* The same from the two ends as accepted: local is orad's end, peer the
 * client's. Both must be loopback (127.0.0.0/8, ::1, or ::ffff:127.x.y.z)
 * and of the same family. Never blocks: the kernel answers a netlink
 * request before sendmsg returns, and a missing answer is an error. */
int orad_tcpident_uid(struct orad_tcpident *t, const struct sockaddr *local,
    const struct sockaddr *peer, uid_t *uid, struct ora_error *err);

/* The ledger's client_exe for a TCP caller at peer: "tcp 127.0.0.1:PORT"
 * or "tcp [::1]:PORT", cut to size (NUL-terminated, size > 0). */
void orad_tcpident_label(const struct sockaddr *peer, char *out, size_t size);

/* 1 when sa is a loopback address (see above), else 0. */
int orad_tcpident_is_loopback(const struct sockaddr *sa);

/* Parse a `daemon.listen` entry, "127.0.0.1:8391" or "[::1]:8391" (numeric
 * addresses only, port 1-65535), into *ss and *len. Anything that is not a
 * loopback address is refused with a sentence naming the setting: orad's
 * identity of TCP callers is only true on loopback. */
int orad_tcpident_parse_listen(
    const char *spec, struct sockaddr_storage *ss, socklen_t *len, struct ora_error *err);

/* Parse spec as above, then create a listening TCP socket on it
 * (non-blocking, close-on-exec, SO_REUSEADDR, TCP_NODELAY for the
 * connections it accepts, IPv6 only on [::1]) with
 * backlog; *fd is the socket. Nothing is bound unless the address is
 * loopback. */
int orad_tcpident_listen(const char *spec, int backlog, int *fd, struct ora_error *err);

/* ---- the pure core, exposed for tests and fuzzing ---------------------- */

#include <stddef.h>
#include <stdint.h>

struct inet_diag_req_v2;

/* Room for one inet_diag_msg, the attributes the kernel adds unasked and
 * the acknowledgement; a bigger datagram (MSG_TRUNC) is refused. */
#define ORAD_TCPIDENT_RECV_BYTES 8192

struct orad_tcpident_answer {
	int found; /* sockets reported so far */
	uid_t uid; /* the owner of the last one */
};

/* Fold one datagram (len bytes, netlink-aligned) of the kernel's answer to
 * request seq about req into *a. Returns 1 when the answer is complete and
 * names exactly one socket, which matches req's four-tuple and is in a
 * state with an owner (a->uid); 0 when more datagrams are needed; -1 with
 * a sentence for anything else. Messages of other sequence numbers are
 * skipped. */
int orad_tcpident_fold(const void *buf, size_t len, uint32_t seq,
    const struct inet_diag_req_v2 *req, struct orad_tcpident_answer *a, struct ora_error *err);

#endif
