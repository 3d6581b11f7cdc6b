/*
 * peers.h: the callers orad is talking to right now.
 *
 * A connection is recorded when its first request arrives, with the peer
 * credentials the kernel gives for the socket (they are fixed at connect()),
 * and forgotten when evhttp closes it. Per uid we count connections and
 * requests in flight and keep a request-rate bucket, so that one user cannot
 * starve the others.
 */
#ifndef ORAD_PEERS_H
#define ORAD_PEERS_H

#include <stdint.h>
#include <sys/types.h>

struct evhttp_connection;
struct evhttp_request;
struct orad_peers;

struct orad_user_state {
	uid_t uid;
	char name[64];       /* as last resolved, for status listings */
	long connections;
	long in_flight;
	double tokens;       /* request-rate bucket, refilled continuously */
	uint64_t refilled_us;
	struct orad_user_state *next;
};

struct orad_conn {
	struct evhttp_connection *evcon;
	int fd;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	struct orad_user_state *user;
	char comm[32];        /* the client's executable name, read once */
	int comm_read;
	/* The request being served on this connection, told when the client
	 * goes away so it can stop the upstream transfer. */
	void (*on_gone)(void *arg);
	void *gone_arg;
};

struct orad_peers *peers_new(void);
void peers_free(struct orad_peers *p);

/* The record for req's connection, created on its first request. Returns
 * NULL (and sets *over_limit) if this uid already holds max_per_uid
 * connections, or NULL with *over_limit 0 if credentials are unavailable. */
struct orad_conn *peers_conn_for(struct orad_peers *p, struct evhttp_request *req,
    long max_per_uid, int *over_limit);

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

/* Connections with answer bytes still waiting to be written. */
long peers_output_pending(const struct orad_peers *p);

/* Open connections in total. */
long peers_connections(const struct orad_peers *p);

#endif
