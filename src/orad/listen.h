/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * listen.h: the broker's Unix socket: created with the configured owner,
 * group and mode, or inherited from systemd socket activation; and the
 * optional loopback TCP listeners of daemon.listen, whose callers are
 * identified by the kernel (orad/tcpident.h).
 *
 * Both are bound before privileges are dropped, so a port below 1024 works
 * and the sandbox never needs to allow a new bind.
 */
#ifndef ORAD_LISTEN_H
#define ORAD_LISTEN_H

#include <sys/types.h>

#include "common/util.h"
#include "config/conf.h"
#include "config/listen_addr.h"

#define LISTEN_BACKLOG 512

struct listen_socket {
	int fd;
	int activated; /* inherited from systemd: not ours to remove */
	dev_t dev;     /* identity of the socket file we created */
	ino_t ino;
};

/* Bind and listen on dc->socket_path (or take systemd's socket). A stale
 * socket left by a dead broker is removed; a live one, or any file that is
 * not a socket, is refused. */
int listen_open(const struct ora_daemon_conf *dc, struct listen_socket *ls, struct ora_error *err);

/* Remove the socket file, but only if it is still the one we created. */
void listen_remove(const char *path, const struct listen_socket *ls);

/* The TCP listeners, in the order of daemon.listen. The addresses are kept
 * as bound, since a reload may change the setting but not the sockets. */
struct listen_tcp {
	int fd[ORA_LISTEN_MAX];
	char *spec[ORA_LISTEN_MAX];
	size_t n;
};

/* Bind and listen on every address of dc->listen (none: nothing to do).
 * Any failure closes what was opened and names the address; a
 * non-loopback address is refused before anything is bound. */
int listen_tcp_open(const struct ora_daemon_conf *dc, struct listen_tcp *lt, struct ora_error *err);

/* 1 when dc->listen names other addresses than those bound. */
int listen_tcp_changed(const struct ora_daemon_conf *dc, const struct listen_tcp *lt);

/* Close the descriptors still open (fd >= 0) and forget the addresses. */
void listen_tcp_close(struct listen_tcp *lt);

#endif
