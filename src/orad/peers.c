/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/log.h"
#include "common/util.h"
#include "orad/peers.h"

#define USER_BUCKETS 256

struct orad_peers {
	long open;
	struct orad_user_state *users[USER_BUCKETS];
};

struct orad_peers *
peers_new(void)
{
	return ora_xcalloc(1, sizeof(struct orad_peers));
}

void
peers_free(struct orad_peers *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < USER_BUCKETS; i++) {
		struct orad_user_state *u = p->users[i], *next;
		for (; u != NULL; u = next) {
			next = u->next;
			free(u);
		}
	}
	free(p);
}

struct orad_user_state *
peers_user(struct orad_peers *p, uid_t uid)
{
	struct orad_user_state **slot = &p->users[uid % USER_BUCKETS], *u;

	for (u = *slot; u != NULL; u = u->next)
		if (u->uid == uid)
			return u;
	u = ora_xcalloc(1, sizeof(*u));
	u->uid = uid;
	u->tokens = -1; /* filled on first use, when the limit is known */
	u->next = *slot;
	*slot = u;
	return u;
}


/* Count a connection of uid. */
static struct orad_conn *
conn_record(struct orad_peers *p, int fd, uid_t uid, gid_t gid, pid_t pid)
{
	struct orad_conn *c = ora_xcalloc(1, sizeof(*c));

	c->fd = fd;
	c->uid = uid;
	c->gid = gid;
	c->pid = pid;
	c->user = peers_user(p, uid);
	c->user->connections++;
	p->open++;
	return c;
}

struct orad_conn *
peers_conn_open(struct orad_peers *p, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof(cred))
		return NULL;
	return conn_record(p, fd, cred.uid, cred.gid, cred.pid);
}

struct orad_conn *
peers_conn_open_tcp(struct orad_peers *p, int fd, uid_t uid, const char *label)
{
	struct orad_conn *c = conn_record(p, fd, uid, (gid_t)-1, 0);

	/* No process to name: the ledger's client_exe says where it came from. */
	ora_strlcpy(c->comm, label, sizeof(c->comm));
	c->comm_read = 1;
	return c;
}

void
peers_conn_close(struct orad_peers *p, struct orad_conn *c)
{
	if (c == NULL)
		return;
	if (c->on_gone != NULL)
		c->on_gone(c->gone_arg);
	c->user->connections--;
	p->open--;
	free(c);
}

int
peers_rate_take(struct orad_user_state *u, long per_minute, uint64_t now_us, long *retry_after)
{
	double rate, capacity = (double)per_minute;

	if (per_minute <= 0)
		return 0;
	rate = capacity / 60e6; /* requests per microsecond */
	if (u->tokens < 0 || u->tokens > capacity) {
		/* First use, or the limit shrank on reload. */
		u->tokens = capacity;
		u->refilled_us = now_us;
	}
	u->tokens += (double)(now_us - u->refilled_us) * rate;
	if (u->tokens > capacity)
		u->tokens = capacity;
	u->refilled_us = now_us;
	if (u->tokens >= 1.0) {
		u->tokens -= 1.0;
		return 0;
	}
	double wait_us = (1.0 - u->tokens) / rate;
	*retry_after = (long)(wait_us / 1e6) + 1;
	return -1;
}

long
peers_connections(const struct orad_peers *p)
{
	return p->open;
}

struct json_object *
peers_in_flight_json(const struct orad_peers *p)
{
	struct json_object *o = json_object_new_object();
	char uid[32];

	for (size_t i = 0; i < USER_BUCKETS; i++) {
		for (const struct orad_user_state *u = p->users[i]; u != NULL; u = u->next) {
			if (u->in_flight <= 0)
				continue;
			snprintf(uid, sizeof(uid), "%u", (unsigned)u->uid);
			json_object_object_add(o, u->name[0] ? u->name : uid, json_object_new_int64(u->in_flight));
		}
	}
	return o;
}

const char *
peers_conn_comm(struct orad_conn *c)
{
	char path[64];
	FILE *f;

	if (c == NULL)
		return NULL;
	if (!c->comm_read) {
		c->comm_read = 1;
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)c->pid);
		if ((f = fopen(path, "re")) != NULL) {
			if (fgets(c->comm, sizeof(c->comm), f) != NULL)
				c->comm[strcspn(c->comm, "\n")] = '\0';
			fclose(f);
		}
	}
	return c->comm[0] ? c->comm : NULL;
}
