/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * peers.h: the callers orad is talking to right now.
 *
 * A connection is recorded the moment it is accepted, with the peer
 * credentials the kernel gives for the socket (they are fixed at connect()),
 * so that every limit on what a user may make orad hold applies before a
 * byte is read; it is forgotten when the connection closes. Per uid we count
 * connections, bytes held for requests still being read and requests in
 * flight, and keep a request-rate bucket, so that one user cannot starve the
 * others.
 */
#ifndef ORAD_PEERS_H
#define ORAD_PEERS_H

#include <stdint.h>
#include <sys/types.h>

struct http_conn;
struct orad_peers;

struct orad_user_state {
	uid_t uid;
	char name[64];       /* as last resolved, for status listings */
	long connections;
	size_t pending_bytes; /* held for requests still being read */
	long in_flight;
	double tokens;       /* request-rate bucket, refilled continuously */
	uint64_t refilled_us;
	struct orad_user_state *next;
};

struct orad_conn {
	struct http_conn *http;
	int fd;
	uid_t uid;
	gid_t gid;
	pid_t pid;            /* 0 over TCP: unknown */
	struct orad_user_state *user;
	char comm[32];        /* the client's executable name, read once */
	/* Requests begun on this connection (counted at each complete head),
	 * and the one for which whois last checked the account files: a
	 * request with a body is authorised at its head and again with its
	 * body, and the files are looked at once (see whois_resolve). */
	unsigned long requests;
	unsigned long files_checked;
	int comm_read;
	/* The request being served on this connection, told when the client
	 * goes away so it can stop the upstream transfer. */
	void (*on_gone)(void *arg);
	void *gone_arg;
};

struct orad_peers *peers_new(void);
void peers_free(struct orad_peers *p);

/* Record the connection just accepted on fd, with its peer credentials,
 * counted against its uid. NULL if the kernel gives no credentials. */
struct orad_conn *peers_conn_open(struct orad_peers *p, int fd);

/* The same for a loopback TCP connection whose client socket the kernel
 * says uid owns (orad/tcpident.h). Its process is unknown: pid is 0, gid
 * unknown ((gid_t)-1: groups come from NSS as for any caller), and the
 * executable name is label (e.g. "tcp 127.0.0.1:50312"). */
struct orad_conn *peers_conn_open_tcp(struct orad_peers *p, int fd, uid_t uid, const char *label);

/* Forget c, whose connection is closing: first tells the request served on
 * it, if any (on_gone), then frees c. */
void peers_conn_close(struct orad_peers *p, struct orad_conn *c);

/* The executable name of the connection's client process (its comm, which
 * any process may read, unlike /proc/PID/exe once we are not root), or
 * NULL if unknown. Read once: the peer's pid is fixed at connect(). */
const char *peers_conn_comm(struct orad_conn *c);

/* State for uid, created on first use. */
struct orad_user_state *peers_user(struct orad_peers *p, uid_t uid);

/* Take one request from uid's bucket for a limit of per_minute requests.
 * Returns 0 if allowed, or -1 with the whole seconds until the next request
 * would be allowed in *retry_after. per_minute <= 0 means no limit. */
int peers_rate_take(struct orad_user_state *u, long per_minute, uint64_t now_us, long *retry_after);

/* {"user": requests in flight, ...} for every user with any. */
struct json_object *peers_in_flight_json(const struct orad_peers *p);

/* Open connections in total. */
long peers_connections(const struct orad_peers *p);

#endif
