/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * listen.h: the broker's Unix socket: created with the configured owner,
 * group and mode, or inherited from systemd socket activation.
 */
#ifndef ORAD_LISTEN_H
#define ORAD_LISTEN_H

#include <sys/types.h>

#include "common/util.h"
#include "config/conf.h"

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

#endif
