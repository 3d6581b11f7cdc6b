/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * delay-relay: a TCP relay that holds every chunk it carries for a fixed
 * time before passing it on, so that a server on this machine looks like
 * one across a network: `make bench` (tests/bench/pg_remote.sh) puts it
 * between orad and PostgreSQL to measure shared budgets over a LAN.
 * `tc qdisc ... netem` would do this in the kernel, but needs a module
 * (sch_netem) that a container rarely has, and would delay everything on
 * the loopback interface, the benchmark's upstream too.
 *
 *   delay-relay PORT_FILE TARGET_PORT DELAY_US
 *
 * Listens on 127.0.0.1, an ephemeral port written to PORT_FILE, and
 * relays each connection to 127.0.0.1:TARGET_PORT. A chunk read at time t
 * is written at t + DELAY_US (each way, so a round trip gains twice
 * that), in order. One thread; ppoll's timeout is in nanoseconds, so the
 * delay is kept to within the scheduler's wake-up latency (tens of
 * microseconds on an idle machine, more on a busy one: pg_remote.sh
 * prints the round trip pgbench sees through it), which a millisecond
 * poll timeout could not. A bench tool:
 * a slow reader makes it block on its write, which PostgreSQL's short
 * messages never cause here.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RELAY_PAIRS_MAX 64
#define RELAY_CHUNK_MAX 65536

struct chunk {
	struct chunk *next;
	int64_t due_ns;
	size_t len;
	char data[];
};

/* One direction: what was read from `from`, waiting to go to `to`. */
struct lane {
	int from, to;
	struct chunk *head, **tail;
};

struct pair {
	int used;
	struct lane lane[2];
};

static struct pair pairs[RELAY_PAIRS_MAX];
static int64_t delay_ns;
static int target_port;

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
connect_target(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)target_port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void
pair_close(struct pair *p)
{
	for (int i = 0; i < 2; i++) {
		struct chunk *c = p->lane[i].head, *next;

		for (; c != NULL; c = next) {
			next = c->next;
			free(c);
		}
		close(p->lane[i].from);
	}
	memset(p, 0, sizeof(*p));
}

static void
pair_open(int client)
{
	int server, one = 1;

	setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (int i = 0; i < RELAY_PAIRS_MAX; i++) {
		struct pair *p = &pairs[i];

		if (p->used)
			continue;
		if ((server = connect_target()) < 0)
			break;
		p->used = 1;
		p->lane[0] = (struct lane){.from = client, .to = server};
		p->lane[1] = (struct lane){.from = server, .to = client};
		p->lane[0].tail = &p->lane[0].head;
		p->lane[1].tail = &p->lane[1].head;
		return;
	}
	close(client);
}

/* Read what `from` has into the lane's queue. -1: the connection ended. */
static int
lane_read(struct lane *l)
{
	char buf[RELAY_CHUNK_MAX];
	ssize_t n = read(l->from, buf, sizeof(buf));
	struct chunk *c;

	if (n <= 0)
		return n < 0 && errno == EINTR ? 0 : -1;
	if ((c = malloc(sizeof(*c) + (size_t)n)) == NULL)
		return -1;
	c->next = NULL;
	c->due_ns = now_ns() + delay_ns;
	c->len = (size_t)n;
	memcpy(c->data, buf, (size_t)n);
	*l->tail = c;
	l->tail = &c->next;
	return 0;
}

/* Write every chunk that is due. -1: the connection ended. */
static int
lane_write(struct lane *l, int64_t now)
{
	struct chunk *c;

	while ((c = l->head) != NULL && c->due_ns <= now) {
		for (size_t off = 0; off < c->len;) {
			ssize_t n = send(l->to, c->data + off, c->len - off, MSG_NOSIGNAL);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return -1;
			off += (size_t)n;
		}
		l->head = c->next;
		if (l->head == NULL)
			l->tail = &l->head;
		free(c);
	}
	return 0;
}

static int
listen_loopback(const char *port_file)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	FILE *f;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(fd, 64) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) != 0)
		return -1;
	if ((f = fopen(port_file, "w")) == NULL)
		return -1;
	fprintf(f, "%d\n", ntohs(sin.sin_port));
	fclose(f);
	return fd;
}

int
main(int argc, char **argv)
{
	struct pollfd fds[1 + 2 * RELAY_PAIRS_MAX];
	struct pair *owner[1 + 2 * RELAY_PAIRS_MAX];
	int lfd;

	if (argc != 4) {
		fprintf(stderr, "usage: delay-relay PORT_FILE TARGET_PORT DELAY_US\n");
		return 2;
	}
	target_port = atoi(argv[2]);
	delay_ns = (int64_t)atoll(argv[3]) * 1000;
	signal(SIGPIPE, SIG_IGN);
	/* Wake when due, not up to 50 us later (the default timer slack). */
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	if ((lfd = listen_loopback(argv[1])) < 0) {
		perror("delay-relay: listen");
		return 1;
	}
	for (;;) {
		int64_t now = now_ns(), next = -1;
		nfds_t n = 1;
		struct timespec ts, *tsp = NULL;

		fds[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
		for (int i = 0; i < RELAY_PAIRS_MAX; i++) {
			struct pair *p = &pairs[i];

			if (!p->used)
				continue;
			for (int k = 0; k < 2; k++) {
				if (p->lane[k].head != NULL &&
				    (next < 0 || p->lane[k].head->due_ns < next))
					next = p->lane[k].head->due_ns;
				fds[n] = (struct pollfd){.fd = p->lane[k].from, .events = POLLIN};
				owner[n++] = p;
			}
		}
		if (next >= 0) {
			int64_t wait = next > now ? next - now : 0;

			ts.tv_sec = (time_t)(wait / 1000000000);
			ts.tv_nsec = (long)(wait % 1000000000);
			tsp = &ts;
		}
		if (ppoll(fds, n, tsp, NULL) < 0 && errno != EINTR) {
			perror("delay-relay: ppoll");
			return 1;
		}
		if (fds[0].revents & POLLIN) {
			int c = accept(lfd, NULL, NULL);

			if (c >= 0)
				pair_open(c);
		}
		for (nfds_t i = 1; i < n; i++) {
			struct pair *p = owner[i];
			struct lane *l;

			if (!p->used || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			l = p->lane[0].from == fds[i].fd ? &p->lane[0] : &p->lane[1];
			if (lane_read(l) != 0)
				pair_close(p);
		}
		now = now_ns();
		for (int i = 0; i < RELAY_PAIRS_MAX; i++)
			if (pairs[i].used && (lane_write(&pairs[i].lane[0], now) != 0 ||
			                         lane_write(&pairs[i].lane[1], now) != 0))
				pair_close(&pairs[i]);
	}
}
