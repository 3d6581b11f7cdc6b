/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * tcpident.c: the uid owning the client end of a loopback TCP connection,
 * asked of the kernel through NETLINK_SOCK_DIAG (see tcpident.h for the
 * trust model).
 *
 * One request per lookup, without NLM_F_DUMP: the kernel then looks the
 * socket up by the exact four-tuple (inet_diag_find_one_icsk) instead of
 * walking every socket, so the cost does not grow with the machine's
 * connection count. NLM_F_ACK makes the kernel end its answer with an
 * acknowledgement, so that "exactly one socket" can be checked rather
 * than assumed; the answer and the acknowledgement are two datagrams,
 * read with one recvmmsg.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/listen_addr.h"
#include "orad/tcpident.h"

/* Datagrams read for one answer before giving up: the answer is two
 * messages, the rest would be stale answers to an abandoned request. */
#define ORAD_TCPIDENT_MAX_READS 8
/* Datagrams asked of one recvmmsg: the answer and its acknowledgement. */
#define ORAD_TCPIDENT_BATCH 2
#define ORAD_TCPIDENT_MALFORMED "The kernel's answer about a TCP connection's owner was malformed."

struct orad_tcpident {
	int fd;
	uint32_t seq;
};

int
orad_tcpident_open(struct orad_tcpident **out, struct ora_error *err)
{
	struct sockaddr_nl self = {.nl_family = AF_NETLINK};
	struct orad_tcpident *t;
	int fd;

	*out = NULL;
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return ora_error_set(err,
		    "Cannot open a NETLINK_SOCK_DIAG socket to identify TCP callers: %s.",
		    strerror(errno));
	/* The kernel picks our port id; replies are checked against it. */
	if (bind(fd, (struct sockaddr *)&self, sizeof(self)) != 0) {
		int e = errno;

		close(fd);
		return ora_error_set(
		    err, "Cannot bind the NETLINK_SOCK_DIAG socket: %s.", strerror(e));
	}
	t = ora_xcalloc(1, sizeof(*t));
	t->fd = fd;
	*out = t;
	return 0;
}

void
orad_tcpident_free(struct orad_tcpident *t)
{
	if (t == NULL)
		return;
	close(t->fd);
	free(t);
}

int
orad_tcpident_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		return (ntohl(s4->sin_addr.s_addr) >> 24) == IN_LOOPBACKNET;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_LOOPBACK(a))
			return 1;
		return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == IN_LOOPBACKNET;
	}
	return 0;
}

/* Address and port of sa as inet_diag spells them (network byte order). */
static void
orad_tcpident_put(const struct sockaddr *sa, __be16 *port, __be32 addr[4])
{
	memset(addr, 0, 4 * sizeof(addr[0]));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		*port = s4->sin_port;
		addr[0] = s4->sin_addr.s_addr;
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		*port = s6->sin6_port;
		memcpy(addr, &s6->sin6_addr, sizeof(s6->sin6_addr));
	}
}

/* The sixteen bytes of an inet_diag address, IPv4 as ::ffff:a.b.c.d, so
 * that an answer about a dual-stack socket compares with the request. */
static void
orad_tcpident_norm(int family, const __be32 addr[4], unsigned char out[16])
{
	memset(out, 0, 16);
	if (family == AF_INET) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &addr[0], 4);
	} else
		memcpy(out, addr, 16);
}

static int
orad_tcpident_same(
    const struct inet_diag_sockid *want, int want_family, const struct inet_diag_msg *got)
{
	unsigned char a[16], b[16];

	if (got->id.idiag_sport != want->idiag_sport || got->id.idiag_dport != want->idiag_dport)
		return 0;
	orad_tcpident_norm(want_family, want->idiag_src, a);
	orad_tcpident_norm(got->idiag_family, got->id.idiag_src, b);
	if (memcmp(a, b, 16) != 0)
		return 0;
	orad_tcpident_norm(want_family, want->idiag_dst, a);
	orad_tcpident_norm(got->idiag_family, got->id.idiag_dst, b);
	return memcmp(a, b, 16) == 0;
}

/* States in which the kernel reports the owner of a full socket. In
 * TIME_WAIT (and for request or listening sockets, which a client end
 * never is) it reports uid 0, which must never be taken for root. */
static int
orad_tcpident_state_ok(int state)
{
	return state == TCP_ESTABLISHED || state == TCP_FIN_WAIT1 || state == TCP_FIN_WAIT2;
}

/* idiag_timer of a TIME_WAIT mini-socket (the kernel's inet_twsk_diag_fill);
 * no full socket reports it. A client that closed its end may be such a
 * mini-socket while still in FIN_WAIT2 (the kernel's choice, by timing),
 * and then its uid reads 0 too. */
#define ORAD_TCPIDENT_TIMER_TIME_WAIT 3

static int
orad_tcpident_send(struct orad_tcpident *t, const struct inet_diag_req_v2 *r, struct ora_error *err)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	ssize_t n;

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.nlh.nlmsg_seq = ++t->seq;
	req.r = *r;
	do
		n = sendto(t->fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(req))
		return ora_error_set(err, "Cannot ask the kernel who owns a TCP connection: %s.",
		    n < 0 ? strerror(errno) : "short write");
	return 0;
}

/* One netlink message of the answer, folded into *a. */
static int
orad_tcpident_fold_one(const struct nlmsghdr *h, const struct inet_diag_req_v2 *req,
    struct orad_tcpident_answer *a, struct ora_error *err)
{
	if (h->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(h);

		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
			return ora_error_set(err, ORAD_TCPIDENT_MALFORMED);
		if (e->error == -ENOENT)
			return ora_error_set(
			    err, "No local socket owns the client end of this TCP connection.");
		if (e->error != 0)
			return ora_error_set(err,
			    "The kernel refused to say who owns a TCP connection: %s.",
			    strerror(-e->error));
		if (a->found != 1)
			return ora_error_set(err,
			    "The kernel reported %d sockets for one TCP connection.", a->found);
		return 1; /* the acknowledgement ends the answer */
	}
	if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
		const struct inet_diag_msg *m = NLMSG_DATA(h);

		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
			return ora_error_set(err, ORAD_TCPIDENT_MALFORMED);
		if (!orad_tcpident_same(&req->id, req->sdiag_family, m))
			return ora_error_set(err,
			    "The kernel answered about another socket than the one asked for.");
		if (!orad_tcpident_state_ok(m->idiag_state))
			return ora_error_set(err,
			    "The client end of this TCP connection is in a state (%u) with no "
			    "owner.",
			    (unsigned)m->idiag_state);
		if (m->idiag_timer == ORAD_TCPIDENT_TIMER_TIME_WAIT)
			return ora_error_set(err,
			    "The client end of this TCP connection was closed and has no owner "
			    "any more.");
		a->uid = (uid_t)m->idiag_uid;
		a->found++;
		return 0;
	}
	if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_OVERRUN)
		return ora_error_set(err, ORAD_TCPIDENT_MALFORMED);
	return 0; /* NLMSG_NOOP and the like */
}

int
orad_tcpident_fold(const void *buf, size_t len, uint32_t seq, const struct inet_diag_req_v2 *req,
    struct orad_tcpident_answer *a, struct ora_error *err)
{
	const char *p = buf;
	size_t left = len;
	int r;

	if (len > (size_t)ORAD_TCPIDENT_RECV_BYTES || ((uintptr_t)buf % NLMSG_ALIGNTO) != 0)
		return ora_error_set(err, ORAD_TCPIDENT_MALFORMED);
	/* NLMSG_OK and NLMSG_NEXT, with sizes kept unsigned: every message
	 * must fit what is left, and the messages must fill the datagram. */
	while (left >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)p;
		size_t step;

		if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > left)
			break;
		if (h->nlmsg_seq == seq && (r = orad_tcpident_fold_one(h, req, a, err)) != 0)
			return r;
		/* Messages of other sequence numbers are stale answers to an
		 * abandoned lookup: skipped. */
		step = NLMSG_ALIGN(h->nlmsg_len);
		if (step >= left) {
			left = 0; /* the last one, its padding included or not */
			break;
		}
		left -= step;
		p += step;
	}
	if (left != 0)
		return ora_error_set(err, ORAD_TCPIDENT_MALFORMED);
	return 0;
}

/* Read the kernel's answer to request t->seq: one inet_diag_msg then the
 * acknowledgement, or an error (ENOENT: no such socket). The kernel has
 * queued it all before sendto returned, so one recvmmsg reads both. */
static int
orad_tcpident_recv(
    struct orad_tcpident *t, const struct inet_diag_req_v2 *r, uid_t *uid, struct ora_error *err)
{
	union {
		char bytes[ORAD_TCPIDENT_RECV_BYTES];
		struct nlmsghdr align;
	} buf[ORAD_TCPIDENT_BATCH];
	struct sockaddr_nl from[ORAD_TCPIDENT_BATCH];
	struct iovec iov[ORAD_TCPIDENT_BATCH];
	struct mmsghdr mm[ORAD_TCPIDENT_BATCH];
	struct orad_tcpident_answer a = {0, 0};
	int reads = 0, done;

	while (reads < ORAD_TCPIDENT_MAX_READS) {
		int n, i;

		memset(mm, 0, sizeof(mm));
		for (i = 0; i < ORAD_TCPIDENT_BATCH; i++) {
			iov[i].iov_base = buf[i].bytes;
			iov[i].iov_len = sizeof(buf[i].bytes);
			mm[i].msg_hdr.msg_name = &from[i];
			mm[i].msg_hdr.msg_namelen = sizeof(from[i]);
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		do
			n = recvmmsg(t->fd, mm, ORAD_TCPIDENT_BATCH, MSG_DONTWAIT, NULL);
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			return ora_error_set(err,
			    "The kernel gave no complete answer about a TCP connection's owner: "
			    "%s.",
			    n < 0 ? strerror(errno) : "nothing to read");
		for (i = 0; i < n && reads < ORAD_TCPIDENT_MAX_READS; i++, reads++) {
			const struct msghdr *mh = &mm[i].msg_hdr;

			if ((mh->msg_flags & MSG_TRUNC) != 0)
				return ora_error_set(err, ORAD_TCPIDENT_MALFORMED);
			if (mh->msg_namelen != sizeof(from[i]) || from[i].nl_pid != 0)
				continue; /* not from the kernel */
			done = orad_tcpident_fold(
			    buf[i].bytes, (size_t)mm[i].msg_len, t->seq, r, &a, err);
			if (done < 0)
				return -1;
			if (done) {
				*uid = a.uid; /* only now: a refusal leaves *uid alone */
				return 0;
			}
		}
	}
	return ora_error_set(
	    err, "The kernel's answer about a TCP connection's owner never ended.");
}

int
orad_tcpident_uid(struct orad_tcpident *t, const struct sockaddr *local,
    const struct sockaddr *peer, uid_t *uid, struct ora_error *err)
{
	struct inet_diag_req_v2 r;

	if ((peer->sa_family != AF_INET && peer->sa_family != AF_INET6) ||
	    peer->sa_family != local->sa_family)
		return ora_error_set(err, "Only TCP over IPv4 or IPv6 can be identified.");
	if (!orad_tcpident_is_loopback(peer))
		return ora_error_set(err, "TCP callers are only served over loopback, and this "
		                          "connection comes from another address.");
	if (!orad_tcpident_is_loopback(local))
		return ora_error_set(err, "TCP callers are only served on a loopback address, "
		                          "and this connection reached another one.");
	memset(&r, 0, sizeof(r));
	r.sdiag_family = (__u8)peer->sa_family;
	r.sdiag_protocol = IPPROTO_TCP;
	r.idiag_states = ~0U; /* the state is checked on the answer */
	/* The client's socket: its local end is our peer, its remote ours. */
	orad_tcpident_put(peer, &r.id.idiag_sport, r.id.idiag_src);
	orad_tcpident_put(local, &r.id.idiag_dport, r.id.idiag_dst);
	r.id.idiag_cookie[0] = r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (orad_tcpident_send(t, &r, err) != 0)
		return -1;
	return orad_tcpident_recv(t, &r, uid, err);
}

int
orad_tcpident_fd_uid(struct orad_tcpident *t, int fd, uid_t *uid, struct ora_error *err)
{
	struct sockaddr_storage local, peer;
	socklen_t llen = sizeof(local), plen = sizeof(peer);

	if (getsockname(fd, (struct sockaddr *)&local, &llen) != 0 ||
	    getpeername(fd, (struct sockaddr *)&peer, &plen) != 0)
		return ora_error_set(
		    err, "Cannot read the addresses of a TCP connection: %s.", strerror(errno));
	return orad_tcpident_uid(t, (struct sockaddr *)&local, (struct sockaddr *)&peer, uid, err);
}

/* n's decimal digits at p, returned past them. */
static char *
orad_tcpident_put_uint(char *p, unsigned n)
{
	char d[10];
	int k = 0;

	do
		d[k++] = (char)('0' + n % 10);
	while ((n /= 10) != 0);
	while (k > 0)
		*p++ = d[--k];
	return p;
}

void
orad_tcpident_label(const struct sockaddr *peer, char *out, size_t size)
{
	char host[INET6_ADDRSTRLEN];

	if (peer->sa_family == AF_INET) {
		/* Written by hand: inet_ntop and snprintf were most of the
		 * instructions a TCP connection added (callgrind). */
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)peer;
		const unsigned char *b = (const unsigned char *)&s4->sin_addr.s_addr;
		char label[sizeof("tcp 255.255.255.255:65535")], *p = label;

		memcpy(p, "tcp ", 4);
		p += 4;
		for (int i = 0; i < 4; i++) {
			p = orad_tcpident_put_uint(p, b[i]);
			*p++ = i < 3 ? '.' : ':';
		}
		p = orad_tcpident_put_uint(p, ntohs(s4->sin_port));
		*p = '\0';
		ora_strlcpy(out, label, size);
		return;
	}
	if (peer->sa_family == AF_INET6 &&
	    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)peer)->sin6_addr, host,
	        sizeof(host)) != NULL) {
		snprintf(out, size, "tcp [%s]:%u", host,
		    (unsigned)ntohs(((const struct sockaddr_in6 *)peer)->sin6_port));
		return;
	}
	snprintf(out, size, "tcp ?");
}

int
orad_tcpident_parse_listen(
    const char *spec, struct sockaddr_storage *ss, socklen_t *len, struct ora_error *err)
{
	return ora_listen_addr_parse(spec, ss, len, err);
}

int
orad_tcpident_listen(const char *spec, int backlog, int *fd, struct ora_error *err)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int s, one = 1;

	*fd = -1;
	if (orad_tcpident_parse_listen(spec, &ss, &len, err) != 0)
		return -1;
	s = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return ora_error_set(err, "%s: cannot create a socket for \"%s\": %s.",
		    ORAD_TCPIDENT_SETTING, spec, strerror(errno));
	/* A restarted orad must not wait for old connections' TIME_WAIT.
	 * TCP_NODELAY here rather than per connection: accepted sockets
	 * inherit it (http_conn checks the first). */
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
	    (ss.ss_family == AF_INET6 &&
	        setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) ||
	    bind(s, (struct sockaddr *)&ss, len) != 0 || listen(s, backlog) != 0) {
		int e = errno;

		close(s);
		return ora_error_set(err, "%s: cannot listen on \"%s\": %s.", ORAD_TCPIDENT_SETTING,
		    spec, strerror(e));
	}
	*fd = s;
	return 0;
}
