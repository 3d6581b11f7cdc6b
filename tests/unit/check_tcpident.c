/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_tcpident.c: the uid of loopback TCP callers, from the real kernel.
 *
 * Runs as root: each client is a forked process that takes a real uid
 * (setgid/setuid to numbers no account uses) and connects to a listener
 * of the test; the test accepts and asks tcpident who the client is.
 * Also prints the cost of one lookup (median of ORAD_TCPIDENT_BENCH_N),
 * a figure for the design notes, never asserted.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/prctl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <poll.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include "orad/tcpident.h"

#define UID_A 4100001u
#define UID_B 4100002u
#define BENCH_N 10000

/* Status bytes a client child writes before connecting. */
#define ST_CONNECTING 'c'
#define ST_SKIP 's'
#define ST_FAIL 'f'

enum client_mode { PLAIN, USERNS, CREATE_ONLY, RECEIVE, SEND_AND_CLOSE };
/* TCP_LINGER2 of a client that closes first: above the kernel's
 * TCP_TIMEWAIT_LEN (60 s), at most its TCP_FIN_TIMEOUT_MAX (120 s). */
#define CLOSED_CLIENT_FIN_WAIT2_S 120
/* Bound on polling for a socket state change (a loaded machine). */
#define STATE_WAIT_MS 30000

struct client {
	pid_t pid;
	int status_fd; /* read end */
};

static int
listener(int family, const char *addr, struct sockaddr_storage *ss, socklen_t *len)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	ck_assert_int_ge(fd, 0);
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, addr, &s4->sin_addr), 1);
		*len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
		*len = sizeof(*s6);
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	}
	ck_assert_int_eq(bind(fd, (struct sockaddr *)ss, *len), 0);
	ck_assert_int_eq(listen(fd, 16), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)ss, len), 0);
	return fd;
}

static void
become(uid_t uid)
{
	if (setgroups(0, NULL) != 0 || setgid((gid_t)uid) != 0 || setuid(uid) != 0)
		_exit(2);
}

/* Map root in a new user namespace to the caller's real uid, as
 * `unshare -Ur` does. 0, or -1 when this kernel does not allow it. */
static int
enter_userns(uid_t real)
{
	char map[64];
	int fd, n;

	/* setuid() left us non-dumpable, which makes /proc/self root's;
	 * exec would reset it, as it does for `unshare -Ur`. */
	if (prctl(PR_SET_DUMPABLE, 1) != 0 || unshare(CLONE_NEWUSER) != 0)
		return -1;
	n = snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)real);
	fd = open("/proc/self/uid_map", O_WRONLY);
	if (fd < 0 || write(fd, map, (size_t)n) != n) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return getuid() == 0 ? 0 : -1;
}

static int
recv_fd(int chan)
{
	char byte, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&byte, 1};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(chan, &mh, 0) != 1 || (c = CMSG_FIRSTHDR(&mh)) == NULL ||
	    c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	return fd;
}

static int
send_fd(int chan, int fd)
{
	char byte = 'x', cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&byte, 1};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(fd));
	return sendmsg(chan, &mh, 0) == 1 ? 0 : -1;
}

/* A child that becomes uid and (but for CREATE_ONLY) connects to ss, then
 * waits for the test to close the accepted end. CREATE_ONLY only creates
 * the socket and hands it over chan; RECEIVE connects the socket it gets
 * from chan. */
static struct client
client_start(
    enum client_mode mode, uid_t uid, const struct sockaddr_storage *ss, socklen_t len, int chan)
{
	struct client c;
	int st[2];

	ck_assert_int_eq(pipe(st), 0);
	c.pid = fork();
	ck_assert_int_ge(c.pid, 0);
	if (c.pid == 0) {
		char byte;
		int fd;

		close(st[0]);
		become(uid);
		if (mode == USERNS && enter_userns(uid) != 0) {
			byte = ST_SKIP;
			(void)write(st[1], &byte, 1);
			_exit(0);
		}
		fd = mode == RECEIVE ? recv_fd(chan) : socket(ss->ss_family, SOCK_STREAM, 0);
		if (fd < 0)
			goto fail;
		if (mode == CREATE_ONLY) {
			byte = send_fd(chan, fd) == 0 ? ST_CONNECTING : ST_FAIL;
			(void)write(st[1], &byte, 1);
			_exit(0); /* the socket lives on in the receiver */
		}
		byte = ST_CONNECTING;
		(void)write(st[1], &byte, 1);
		if (connect(fd, (const struct sockaddr *)ss, len) != 0)
			_exit(3);
		if (mode == SEND_AND_CLOSE) {
			/* A FIN_WAIT2 timeout above the kernel's TIME_WAIT length
			 * keeps the closed end a full socket, with its owner; at
			 * the default (60 s) the kernel may, by timing, turn it
			 * into a mini-socket without one (see
			 * test_closed_fin_wait2_refused). */
			int linger2 = CLOSED_CLIENT_FIN_WAIT2_S;

			if (setsockopt(fd, IPPROTO_TCP, TCP_LINGER2, &linger2, sizeof(linger2)) != 0)
				_exit(6);
			_exit(write(fd, "GET / HTTP/1.0\r\n\r\n", 18) == 18 ? 0 : 5);
		}
		while (read(fd, &byte, 1) > 0)
			;
		_exit(0);
	fail:
		byte = ST_FAIL;
		(void)write(st[1], &byte, 1);
		_exit(4);
	}
	close(st[1]);
	c.status_fd = st[0];
	return c;
}

static char
client_status(struct client *c)
{
	char byte = ST_FAIL;

	ck_assert_int_eq(read(c->status_fd, &byte, 1), 1);
	return byte;
}

static void
client_wait(struct client *c)
{
	int status;

	close(c->status_fd);
	ck_assert_int_eq(waitpid(c->pid, &status, 0), c->pid);
	ck_assert_msg(
	    WIFEXITED(status) && WEXITSTATUS(status) == 0, "client child failed: %d", status);
}

/* Accept one connection on lfd and return the uid tcpident finds. */
static int
identify(int lfd, uid_t *uid, struct ora_error *err)
{
	struct orad_tcpident *t = NULL;
	int cfd, r;

	cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	ck_assert_int_ge(cfd, 0);
	ck_assert_int_eq(orad_tcpident_open(&t, err), 0);
	r = orad_tcpident_fd_uid(t, cfd, uid, err);
	orad_tcpident_free(t);
	close(cfd);
	return r;
}

static void
check_plain(int family, const char *addr)
{
	static const uid_t uids[] = {UID_A, UID_B, 0};
	struct sockaddr_storage ss;
	struct ora_error err = {""};
	socklen_t len;
	int lfd = listener(family, addr, &ss, &len);

	for (size_t i = 0; i < sizeof(uids) / sizeof(uids[0]); i++) {
		struct client c = client_start(PLAIN, uids[i], &ss, len, -1);
		uid_t got = (uid_t)-1;

		ck_assert_int_eq(client_status(&c), ST_CONNECTING);
		ck_assert_msg(identify(lfd, &got, &err) == 0, "%s", err.msg);
		ck_assert_uint_eq(got, uids[i]);
		client_wait(&c);
	}
	close(lfd);
}

START_TEST(test_uids_ipv4)
{
	check_plain(AF_INET, "127.0.0.1");
}
END_TEST

START_TEST(test_uids_ipv4_other_loopback)
{
	check_plain(AF_INET, "127.0.0.2");
}
END_TEST

START_TEST(test_uids_ipv6)
{
	check_plain(AF_INET6, "::1");
}
END_TEST

/* The creator of the socket is who the kernel names, whoever connects it. */
START_TEST(test_passed_socket_keeps_creator)
{
	struct sockaddr_storage ss;
	struct ora_error err = {""};
	socklen_t len;
	int lfd = listener(AF_INET, "127.0.0.1", &ss, &len), chan[2];
	struct client a, b;
	uid_t got = (uid_t)-1;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, chan), 0);
	b = client_start(RECEIVE, UID_B, &ss, len, chan[1]);
	a = client_start(CREATE_ONLY, UID_A, &ss, len, chan[0]);
	ck_assert_int_eq(client_status(&a), ST_CONNECTING);
	client_wait(&a); /* A is gone; its socket lives in B */
	ck_assert_int_eq(client_status(&b), ST_CONNECTING);
	ck_assert_msg(identify(lfd, &got, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(got, UID_A);
	client_wait(&b);
	close(chan[0]);
	close(chan[1]);
	close(lfd);
}
END_TEST

/* A client that sent its request and closed before orad looked (HTTP/1.0
 * style): its end waits in FIN_WAIT2, still owned, still identified. */
START_TEST(test_closed_client_still_identified)
{
	struct sockaddr_storage ss;
	struct ora_error err = {""};
	socklen_t len;
	int lfd = listener(AF_INET, "127.0.0.1", &ss, &len);
	struct client c = client_start(SEND_AND_CLOSE, UID_B, &ss, len, -1);
	uid_t got = (uid_t)-1;

	ck_assert_int_eq(client_status(&c), ST_CONNECTING);
	client_wait(&c); /* the client process is gone */
	ck_assert_msg(identify(lfd, &got, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(got, UID_B);
	close(lfd);
}
END_TEST

/* Root inside a user namespace is its real uid outside. */
START_TEST(test_userns_real_uid)
{
	struct sockaddr_storage ss;
	struct ora_error err = {""};
	socklen_t len;
	int lfd = listener(AF_INET, "127.0.0.1", &ss, &len);
	struct client c = client_start(USERNS, UID_A, &ss, len, -1);
	uid_t got = (uid_t)-1;

	if (client_status(&c) == ST_SKIP) {
		printf("SKIP: user namespaces are not available to uid %u here\n", UID_A);
		client_wait(&c);
		close(lfd);
		return;
	}
	ck_assert_msg(identify(lfd, &got, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(got, UID_A);
	client_wait(&c);
	close(lfd);
}
END_TEST

static int
first_non_loopback(int family, char *buf, size_t size)
{
	struct ifaddrs *ifs, *i;
	int found = 0;

	if (getifaddrs(&ifs) != 0)
		return 0;
	for (i = ifs; i != NULL && !found; i = i->ifa_next) {
		const void *a;

		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != family ||
		    orad_tcpident_is_loopback(i->ifa_addr))
			continue;
		a = family == AF_INET ? (void *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr
		                      : (void *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
		if (family == AF_INET6 &&
		    IN6_IS_ADDR_LINKLOCAL(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr))
			continue;
		found = inet_ntop(family, a, buf, (socklen_t)size) != NULL;
	}
	freeifaddrs(ifs);
	return found;
}

/* A real connection over a non-loopback address of this machine. */
START_TEST(test_non_loopback_refused)
{
	static const int families[] = {AF_INET, AF_INET6};
	int tried = 0;

	for (size_t f = 0; f < 2; f++) {
		char addr[INET6_ADDRSTRLEN];
		struct sockaddr_storage ss;
		struct ora_error err = {""};
		socklen_t len;
		struct client c;
		uid_t got = (uid_t)-1;
		int lfd;

		if (!first_non_loopback(families[f], addr, sizeof(addr)))
			continue;
		tried++;
		lfd = listener(families[f], addr, &ss, &len);
		c = client_start(PLAIN, UID_A, &ss, len, -1);
		ck_assert_int_eq(client_status(&c), ST_CONNECTING);
		ck_assert_int_eq(identify(lfd, &got, &err), -1);
		ck_assert_ptr_nonnull(strstr(err.msg, "loopback"));
		ck_assert_uint_eq(got, (uid_t)-1);
		client_wait(&c);
		close(lfd);
	}
	if (tried == 0)
		printf("SKIP: no non-loopback address to connect over\n");
}
END_TEST

static struct sockaddr_in
sin4(const char *addr, uint16_t port)
{
	struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = htons(port)};

	inet_pton(AF_INET, addr, &s.sin_addr);
	return s;
}

/* Addresses handed in directly: refused before asking the kernel. */
START_TEST(test_refusals_without_kernel)
{
	struct sockaddr_in lo = sin4("127.0.0.1", 8391), far = sin4("192.0.2.1", 40000);
	struct sockaddr_in6 lo6 = {
	    .sin6_family = AF_INET6, .sin6_port = htons(8391), .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	struct orad_tcpident *t = NULL;
	struct ora_error err = {""};
	uid_t got = 42;

	ck_assert_int_eq(orad_tcpident_open(&t, &err), 0);
	ck_assert_int_eq(
	    orad_tcpident_uid(t, (struct sockaddr *)&lo, (struct sockaddr *)&far, &got, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "loopback"));
	ck_assert_int_eq(
	    orad_tcpident_uid(t, (struct sockaddr *)&far, (struct sockaddr *)&lo, &got, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "loopback"));
	ck_assert_int_eq(
	    orad_tcpident_uid(t, (struct sockaddr *)&lo6, (struct sockaddr *)&lo, &got, &err), -1);
	ck_assert_uint_eq(got, 42);
	orad_tcpident_free(t);
}
END_TEST

/* No socket for the tuple: refused, and the next lookup still works. */
START_TEST(test_no_match)
{
	struct sockaddr_storage ss;
	struct sockaddr_in peer;
	struct orad_tcpident *t = NULL;
	struct ora_error err = {""};
	socklen_t len;
	int lfd = listener(AF_INET, "127.0.0.1", &ss, &len);
	uid_t got = 42;
	int probe;

	/* A port certainly unused as a client port: bound, never connected. */
	probe = socket(AF_INET, SOCK_STREAM, 0);
	peer = sin4("127.0.0.1", 0);
	ck_assert_int_eq(bind(probe, (struct sockaddr *)&peer, sizeof(peer)), 0);
	len = sizeof(peer);
	ck_assert_int_eq(getsockname(probe, (struct sockaddr *)&peer, &len), 0);
	ck_assert_int_eq(orad_tcpident_open(&t, &err), 0);
	ck_assert_int_eq(
	    orad_tcpident_uid(t, (struct sockaddr *)&ss, (struct sockaddr *)&peer, &got, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "No local socket"));
	ck_assert_uint_eq(got, 42);
	orad_tcpident_free(t);
	close(probe);
	close(lfd);
}
END_TEST

/* A loopback connection to a new listener: lfd, the client's end cfd and
 * the accepted end afd, with the addresses orad would see (its own, the
 * peer's). */
static void
loopback_pair(int *lfd, int *cfd, int *afd, struct sockaddr_storage *local,
    struct sockaddr_storage *peer)
{
	struct sockaddr_storage ss;
	socklen_t len, llen = sizeof(*local), plen = sizeof(*peer);

	*lfd = listener(AF_INET, "127.0.0.1", &ss, &len);
	*cfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(*cfd, (struct sockaddr *)&ss, len), 0);
	*afd = accept(*lfd, NULL, NULL);
	ck_assert_int_ge(*afd, 0);
	ck_assert_int_eq(getsockname(*afd, (struct sockaddr *)local, &llen), 0);
	ck_assert_int_eq(getpeername(*afd, (struct sockaddr *)peer, &plen), 0);
}

/* tcpident refuses the connection (local, peer): an error (whose text has
 * why in it, unless why is NULL) and no uid. */
static void
assert_refused(struct sockaddr_storage *local, struct sockaddr_storage *peer, const char *why)
{
	struct orad_tcpident *t = NULL;
	struct ora_error err = {""};
	uid_t got = 42;

	ck_assert_int_eq(orad_tcpident_open(&t, &err), 0);
	ck_assert_int_eq(
	    orad_tcpident_uid(t, (struct sockaddr *)local, (struct sockaddr *)peer, &got, &err), -1);
	if (why != NULL)
		ck_assert_ptr_nonnull(strstr(err.msg, why));
	ck_assert_uint_eq(got, 42);
	orad_tcpident_free(t);
}

/* A client end in TIME_WAIT is reported with uid 0 by the kernel: that
 * must be a refusal, never root. */
START_TEST(test_time_wait_refused)
{
	struct sockaddr_storage local, peer;
	int lfd, cfd, afd;
	char byte;

	loopback_pair(&lfd, &cfd, &afd, &local, &peer);
	close(cfd); /* the client closes first: its end goes to TIME_WAIT */
	ck_assert_int_eq(read(afd, &byte, 1), 0);
	close(afd);
	assert_refused(&local, &peer, NULL);
	close(lfd);
}
END_TEST

/* The state of a TCP socket, from TCP_INFO. */
static int
tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	ck_assert_int_eq(getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	return ti.tcpi_state;
}

/* A client that half-closed, got its FIN acknowledged (FIN_WAIT2) and then
 * closed with the default FIN_WAIT2 timeout: the kernel keeps its end as a
 * TIME_WAIT mini-socket still in FIN_WAIT2, reported with uid 0. That must
 * be a refusal, never root. (Under load the kernel chose this for a client
 * that wrote and closed at once, and orad took it for root.) */
START_TEST(test_closed_fin_wait2_refused)
{
	struct sockaddr_storage local, peer;
	int lfd, cfd, afd, linger2 = 30, waited = 0;
	char byte;

	loopback_pair(&lfd, &cfd, &afd, &local, &peer);
	/* At most TCP_TIMEWAIT_LEN, whatever the machine's tcp_fin_timeout. */
	ck_assert_int_eq(setsockopt(cfd, IPPROTO_TCP, TCP_LINGER2, &linger2, sizeof(linger2)), 0);
	ck_assert_int_eq(shutdown(cfd, SHUT_WR), 0);
	ck_assert_int_eq(read(afd, &byte, 1), 0);
	while (tcp_state(cfd) != TCP_FIN_WAIT2 && waited < STATE_WAIT_MS) {
		poll(NULL, 0, 10);
		waited += 10;
	}
	ck_assert_int_eq(tcp_state(cfd), TCP_FIN_WAIT2);
	close(cfd); /* closed in FIN_WAIT2: a mini-socket from here on */
	assert_refused(&local, &peer, "closed");
	close(afd);
	close(lfd);
}
END_TEST

START_TEST(test_unix_socket_refused)
{
	struct orad_tcpident *t = NULL;
	struct ora_error err = {""};
	uid_t got = 42;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(orad_tcpident_open(&t, &err), 0);
	ck_assert_int_eq(orad_tcpident_fd_uid(t, sv[0], &got, &err), -1);
	ck_assert_uint_eq(got, 42);
	orad_tcpident_free(t);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_parse_listen)
{
	static const char *const good[] = {
	    "127.0.0.1:8391", "[::1]:8391", "127.0.0.2:1", "127.255.255.254:65535"};
	static const char *const bad[] = {"0.0.0.0:8391", "192.0.2.2:8391", "[::]:8391",
	    "[::ffff:127.0.0.1]:8391", "[fd00::2]:1", "localhost:8391", "127.0.0.1", "127.0.0.1:0",
	    "127.0.0.1:65536", "::1:8391", "[::1]8391", "", "127.0.0.1:x", ":8391",
	    "128.0.0.1:8391"};
	struct sockaddr_storage ss;
	struct ora_error err;
	socklen_t len;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		err.msg[0] = '\0';
		ck_assert_msg(orad_tcpident_parse_listen(good[i], &ss, &len, &err) == 0, "%s: %s",
		    good[i], err.msg);
		ck_assert(orad_tcpident_is_loopback((struct sockaddr *)&ss));
	}
	ck_assert_int_eq(orad_tcpident_parse_listen("[::1]:8391", &ss, &len, &err), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET6);
	ck_assert_uint_eq(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 8391);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.msg[0] = '\0';
		ck_assert_msg(orad_tcpident_parse_listen(bad[i], &ss, &len, &err) == -1,
		    "%s accepted", bad[i]);
		ck_assert_msg(strstr(err.msg, "daemon.listen") != NULL, "%s: %s", bad[i], err.msg);
	}
	ck_assert_int_eq(orad_tcpident_parse_listen("0.0.0.0:8391", &ss, &len, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a loopback address"));
}
END_TEST

/* ---- the answer parser, on crafted kernel answers ---------------------- */

#define SEQ 7u

struct nlbuf {
	union {
		char bytes[ORAD_TCPIDENT_RECV_BYTES];
		struct nlmsghdr align;
	} u;
	size_t len;
};

static struct inet_diag_req_v2
fold_req(void)
{
	struct inet_diag_req_v2 r;

	memset(&r, 0, sizeof(r));
	r.sdiag_family = AF_INET;
	r.sdiag_protocol = IPPROTO_TCP;
	r.id.idiag_sport = htons(40000);
	r.id.idiag_dport = htons(8391);
	r.id.idiag_src[0] = htonl(INADDR_LOOPBACK);
	r.id.idiag_dst[0] = htonl(INADDR_LOOPBACK);
	return r;
}

static void *
nl_add(struct nlbuf *b, uint16_t type, uint32_t seq, size_t payload)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(b->u.bytes + b->len);

	ck_assert_uint_le(b->len + NLMSG_SPACE(payload), sizeof(b->u.bytes));
	memset(h, 0, NLMSG_SPACE(payload));
	h->nlmsg_len = NLMSG_LENGTH(payload);
	h->nlmsg_type = type;
	h->nlmsg_seq = seq;
	b->len += NLMSG_SPACE(payload);
	return NLMSG_DATA(h);
}

static struct inet_diag_msg *
nl_diag(struct nlbuf *b, uint32_t seq, uid_t uid, int state)
{
	struct inet_diag_req_v2 r = fold_req();
	struct inet_diag_msg *m = nl_add(b, SOCK_DIAG_BY_FAMILY, seq, sizeof(*m));

	m->idiag_family = AF_INET;
	m->idiag_state = (uint8_t)state;
	m->id = r.id;
	m->idiag_uid = uid;
	return m;
}

static void
nl_ack(struct nlbuf *b, uint32_t seq, int error)
{
	struct nlmsgerr *e = nl_add(b, NLMSG_ERROR, seq, sizeof(*e));

	e->error = error;
}

static int
fold(struct nlbuf *b, struct orad_tcpident_answer *a, struct ora_error *err)
{
	struct inet_diag_req_v2 r = fold_req();

	return orad_tcpident_fold(b->u.bytes, b->len, SEQ, &r, a, err);
}

START_TEST(test_fold_one_socket)
{
	struct nlbuf b = {.len = 0}, b2 = {.len = 0};
	struct orad_tcpident_answer a = {0, 0};
	struct ora_error err = {""};

	nl_diag(&b, SEQ, UID_A, TCP_ESTABLISHED);
	nl_ack(&b, SEQ, 0);
	ck_assert_int_eq(fold(&b, &a, &err), 1);
	ck_assert_uint_eq(a.uid, UID_A);
	/* The same answer split over two datagrams. */
	memset(&a, 0, sizeof(a));
	b.len = 0;
	nl_diag(&b, SEQ, UID_B, TCP_FIN_WAIT2);
	ck_assert_int_eq(fold(&b, &a, &err), 0);
	nl_ack(&b2, SEQ, 0);
	ck_assert_int_eq(fold(&b2, &a, &err), 1);
	ck_assert_uint_eq(a.uid, UID_B);
}
END_TEST

START_TEST(test_fold_stale_answers_skipped)
{
	struct nlbuf b = {.len = 0};
	struct orad_tcpident_answer a = {0, 0};
	struct ora_error err = {""};

	nl_diag(&b, SEQ - 1, 0, TCP_ESTABLISHED);
	nl_ack(&b, SEQ - 1, 0);
	nl_diag(&b, SEQ, UID_A, TCP_ESTABLISHED);
	nl_ack(&b, SEQ, 0);
	ck_assert_int_eq(fold(&b, &a, &err), 1);
	ck_assert_uint_eq(a.uid, UID_A);
}
END_TEST

START_TEST(test_fold_refusals)
{
	struct orad_tcpident_answer a;
	struct ora_error err;
	struct nlbuf b;
	struct inet_diag_msg *m;

#define FRESH()                                                                                    \
	do {                                                                                       \
		memset(&a, 0, sizeof(a));                                                          \
		b.len = 0;                                                                         \
		err.msg[0] = '\0';                                                                 \
	} while (0)
	FRESH();
	nl_diag(&b, SEQ, UID_A, TCP_ESTABLISHED);
	nl_diag(&b, SEQ, UID_B, TCP_ESTABLISHED);
	nl_ack(&b, SEQ, 0);
	ck_assert_int_eq(fold(&b, &a, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "2 sockets"));

	FRESH();
	nl_ack(&b, SEQ, 0);
	ck_assert_int_eq(fold(&b, &a, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "0 sockets"));

	FRESH();
	nl_ack(&b, SEQ, -ENOENT);
	ck_assert_int_eq(fold(&b, &a, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "No local socket"));

	FRESH();
	nl_ack(&b, SEQ, -EPERM);
	ck_assert_int_eq(fold(&b, &a, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "refused"));

	FRESH();
	nl_diag(&b, SEQ, 0, TCP_TIME_WAIT);
	ck_assert_int_eq(fold(&b, &a, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "state"));

	FRESH();
	m = nl_diag(&b, SEQ, 0, TCP_FIN_WAIT2);
	m->idiag_timer = 3; /* a TIME_WAIT mini-socket still in FIN_WAIT2 */
	ck_assert_int_eq(fold(&b, &a, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "closed"));

	FRESH();
	nl_diag(&b, SEQ, UID_A, TCP_LISTEN);
	ck_assert_int_eq(fold(&b, &a, &err), -1);

	FRESH();
	m = nl_diag(&b, SEQ, UID_A, TCP_ESTABLISHED);
	m->id.idiag_dport = htons(8392);
	ck_assert_int_eq(fold(&b, &a, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "another socket"));

	FRESH();
	m = nl_diag(&b, SEQ, UID_A, TCP_ESTABLISHED);
	m->id.idiag_src[0] = htonl(INADDR_LOOPBACK + 1);
	ck_assert_int_eq(fold(&b, &a, &err), -1);

	FRESH();
	nl_diag(&b, SEQ, UID_A, TCP_ESTABLISHED);
	b.len -= 4; /* cut short */
	ck_assert_int_eq(fold(&b, &a, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "malformed"));

	FRESH();
	nl_add(&b, NLMSG_ERROR, SEQ, 2); /* too short for an nlmsgerr */
	ck_assert_int_eq(fold(&b, &a, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "malformed"));
#undef FRESH
}
END_TEST

/* A dual-stack answer (AF_INET6, ::ffff:127.0.0.1) matches an IPv4 ask. */
START_TEST(test_fold_v4_mapped_answer)
{
	struct nlbuf b = {.len = 0};
	struct orad_tcpident_answer a = {0, 0};
	struct ora_error err = {""};
	struct inet_diag_msg *m = nl_diag(&b, SEQ, UID_A, TCP_ESTABLISHED);
	uint32_t lo = htonl(INADDR_LOOPBACK), ffff = htonl(0xffff);

	m->idiag_family = AF_INET6;
	memset(m->id.idiag_src, 0, sizeof(m->id.idiag_src));
	memset(m->id.idiag_dst, 0, sizeof(m->id.idiag_dst));
	m->id.idiag_src[2] = m->id.idiag_dst[2] = ffff;
	m->id.idiag_src[3] = m->id.idiag_dst[3] = lo;
	nl_ack(&b, SEQ, 0);
	ck_assert_msg(fold(&b, &a, &err) == 1, "%s", err.msg);
	ck_assert_uint_eq(a.uid, UID_A);
}
END_TEST

/* A port free right now on addr (the test's own race is harmless). */
static unsigned
free_port(int family, const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = listener(family, addr, &ss, &len);
	unsigned port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
	                                        : ((struct sockaddr_in6 *)&ss)->sin6_port);

	close(fd);
	return port;
}

START_TEST(test_listen)
{
	struct ora_error err = {""};
	char spec[64];
	int fd = 42, c;
	struct sockaddr_in sa;
	uid_t got;
	struct orad_tcpident *t = NULL;

	snprintf(spec, sizeof(spec), "127.0.0.1:%u", free_port(AF_INET, "127.0.0.1"));
	ck_assert_msg(orad_tcpident_listen(spec, 16, &fd, &err) == 0, "%s", err.msg);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ne(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	/* It serves: a connection to it is identified. */
	sa = sin4("127.0.0.1", 0);
	sa.sin_port = htons((uint16_t)atoi(strchr(spec, ':') + 1));
	c = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(orad_tcpident_open(&t, &err), 0);
	{
		int a = accept(fd, NULL, NULL);

		int on = 0;
		socklen_t olen = sizeof(on);

		ck_assert_int_ge(a, 0);
		ck_assert_msg(orad_tcpident_fd_uid(t, a, &got, &err) == 0, "%s", err.msg);
		ck_assert_uint_eq(got, geteuid());
		/* TCP_NODELAY set on the listener carries over to what it
		 * accepts (orad relies on it, and checks the first). */
		ck_assert_int_eq(getsockopt(a, IPPROTO_TCP, TCP_NODELAY, &on, &olen), 0);
		ck_assert_int_ne(on, 0);
		close(a);
	}
	orad_tcpident_free(t);
	close(c);
	/* The port is taken now. */
	ck_assert_int_eq(orad_tcpident_listen(spec, 16, &c, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "daemon.listen"));
	ck_assert_int_eq(c, -1);
	close(fd);

	snprintf(spec, sizeof(spec), "[::1]:%u", free_port(AF_INET6, "::1"));
	ck_assert_msg(orad_tcpident_listen(spec, 16, &fd, &err) == 0, "%s", err.msg);
	close(fd);

	fd = 42;
	ck_assert_int_eq(orad_tcpident_listen("0.0.0.0:8391", 16, &fd, &err), -1);
	ck_assert_int_eq(fd, -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a loopback address"));
}
END_TEST

START_TEST(test_label)
{
	struct sockaddr_in s4 = sin4("127.0.0.1", 0);
	struct sockaddr_in6 s6;
	struct sockaddr_un su = {.sun_family = AF_UNIX};
	char out[32];

	s4.sin_port = htons(54321);
	orad_tcpident_label((struct sockaddr *)&s4, out, sizeof(out));
	ck_assert_str_eq(out, "tcp 127.0.0.1:54321");
	s4 = sin4("127.255.200.9", 0);
	s4.sin_port = htons(7);
	orad_tcpident_label((struct sockaddr *)&s4, out, sizeof(out));
	ck_assert_str_eq(out, "tcp 127.255.200.9:7");
	s4 = sin4("255.255.255.255", 0);
	s4.sin_port = htons(65535);
	orad_tcpident_label((struct sockaddr *)&s4, out, sizeof(out));
	ck_assert_str_eq(out, "tcp 255.255.255.255:65535");
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_addr = in6addr_loopback;
	s6.sin6_port = htons(8391);
	orad_tcpident_label((struct sockaddr *)&s6, out, sizeof(out));
	ck_assert_str_eq(out, "tcp [::1]:8391");
	orad_tcpident_label((struct sockaddr *)&su, out, sizeof(out));
	ck_assert_str_eq(out, "tcp ?");
	/* Too small for the longest IPv4 label: cut, still terminated. */
	s4.sin_port = htons(65535);
	orad_tcpident_label((struct sockaddr *)&s4, out, 10);
	ck_assert_str_eq(out, "tcp 255.2");
}
END_TEST

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Printed, not asserted: the cost one accepted connection pays. */
START_TEST(test_bench_lookup)
{
	struct sockaddr_storage ss;
	struct orad_tcpident *t = NULL;
	struct ora_error err = {""};
	socklen_t len;
	int lfd = listener(AF_INET, "127.0.0.1", &ss, &len), cfd, afd;
	uint64_t *ns = calloc(BENCH_N, sizeof(*ns)), t0;
	uid_t got;

	cfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(cfd, (struct sockaddr *)&ss, len), 0);
	afd = accept(lfd, NULL, NULL);
	ck_assert_int_eq(orad_tcpident_open(&t, &err), 0);
	for (int i = 0; i < BENCH_N; i++) {
		t0 = now_ns();
		ck_assert_msg(orad_tcpident_fd_uid(t, afd, &got, &err) == 0, "%s", err.msg);
		ns[i] = now_ns() - t0;
	}
	orad_tcpident_free(t);
	qsort(ns, BENCH_N, sizeof(*ns), cmp_u64);
	printf("tcpident: one lookup (getsockname+getpeername+inet_diag, one recvmmsg), median of %d: "
	       "%.2f us (p90 %.2f us, p99 %.2f us)\n",
	    BENCH_N, ns[BENCH_N / 2] / 1000.0, ns[BENCH_N * 9 / 10] / 1000.0,
	    ns[BENCH_N * 99 / 100] / 1000.0);
	/* With a new netlink socket per lookup, for comparison. */
	for (int i = 0; i < BENCH_N; i++) {
		t0 = now_ns();
		ck_assert_int_eq(orad_tcpident_open(&t, &err), 0);
		ck_assert_msg(orad_tcpident_fd_uid(t, afd, &got, &err) == 0, "%s", err.msg);
		orad_tcpident_free(t);
		ns[i] = now_ns() - t0;
	}
	qsort(ns, BENCH_N, sizeof(*ns), cmp_u64);
	printf("tcpident: open+lookup+close, median of %d: %.2f us\n", BENCH_N,
	    ns[BENCH_N / 2] / 1000.0);
	/* What the Unix socket path pays for the same answer. */
	{
		struct ucred cred;
		socklen_t cl = sizeof(cred);
		int sv[2];

		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		for (int i = 0; i < BENCH_N; i++) {
			t0 = now_ns();
			ck_assert_int_eq(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cred, &cl), 0);
			ns[i] = now_ns() - t0;
		}
		qsort(ns, BENCH_N, sizeof(*ns), cmp_u64);
		printf("tcpident: for comparison, SO_PEERCRED on a Unix socket, median of %d: "
		       "%.2f us\n",
		    BENCH_N, ns[BENCH_N / 2] / 1000.0);
		close(sv[0]);
		close(sv[1]);
	}
	fflush(stdout);
	free(ns);
	close(afd);
	close(cfd);
	close(lfd);
}
END_TEST

static Suite *
tcpident_suite(void)
{
	Suite *s = suite_create("tcpident");
	TCase *tc = tcase_create("pure");
	TCase *kc = tcase_create("kernel");

	tcase_add_test(tc, test_parse_listen);
	tcase_add_test(tc, test_label);
	tcase_add_test(tc, test_fold_one_socket);
	tcase_add_test(tc, test_fold_stale_answers_skipped);
	tcase_add_test(tc, test_fold_refusals);
	tcase_add_test(tc, test_fold_v4_mapped_answer);
	suite_add_tcase(s, tc);
	tcase_add_test(kc, test_refusals_without_kernel);
	tcase_add_test(kc, test_no_match);
	tcase_add_test(kc, test_time_wait_refused);
	tcase_add_test(kc, test_closed_fin_wait2_refused);
	tcase_add_test(kc, test_unix_socket_refused);
	tcase_add_test(kc, test_listen);
	if (geteuid() == 0) {
		tcase_add_test(kc, test_uids_ipv4);
		tcase_add_test(kc, test_uids_ipv4_other_loopback);
		tcase_add_test(kc, test_uids_ipv6);
		tcase_add_test(kc, test_passed_socket_keeps_creator);
		tcase_add_test(kc, test_userns_real_uid);
		tcase_add_test(kc, test_closed_client_still_identified);
		tcase_add_test(kc, test_non_loopback_refused);
	} else
		printf("SKIP: not root, so no clients as other uids\n");
	tcase_add_test(kc, test_bench_lookup);
	suite_add_tcase(s, kc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(tcpident_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
