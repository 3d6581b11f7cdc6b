/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * tcp_pass_fd: a TCP connection made by one user and used by another, for
 * test_orad_tcp.sh.
 *
 *   tcp_pass_fd recv UNIX_PATH REQUEST_FILE
 *       listen on UNIX_PATH (mode 0666), take one descriptor passed with
 *       SCM_RIGHTS, write REQUEST_FILE's bytes to it and copy the answer
 *       to stdout until the peer closes.
 *   tcp_pass_fd send UNIX_PATH ADDRESS PORT
 *       create a TCP socket, connect it to ADDRESS:PORT, pass it over
 *       UNIX_PATH and exit without having written a byte.
 *
 * Run `recv` as user B and `send` as user A: orad must bill A, who created
 * the socket, whoever writes the request.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define REQUEST_MAX 65536

static int
die(const char *what)
{
	fprintf(stderr, "tcp_pass_fd: %s: %s\n", what, strerror(errno));
	return 1;
}

static int
unix_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa->sun_path, path);
	return 0;
}

static int
take_fd(int conn)
{
	char byte, control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&byte, 1};
	struct msghdr mh = {.msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = control,
	    .msg_controllen = sizeof(control)};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(conn, &mh, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&mh);
	if (cm == NULL || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) {
		errno = EPROTO;
		return -1;
	}
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	return fd;
}

static int
do_recv(const char *path, const char *request_file)
{
	static char request[REQUEST_MAX], buf[16384];
	struct sockaddr_un sa;
	ssize_t n, len;
	int l, conn, fd, rf;

	if ((rf = open(request_file, O_RDONLY)) < 0 ||
	    (len = read(rf, request, sizeof(request))) <= 0)
		return die("read the request");
	close(rf);
	if (unix_addr(path, &sa) != 0 || (l = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    bind(l, (struct sockaddr *)&sa, sizeof(sa)) != 0 || chmod(path, 0666) != 0 ||
	    listen(l, 1) != 0)
		return die("listen on the Unix socket");
	if ((conn = accept(l, NULL, NULL)) < 0 || (fd = take_fd(conn)) < 0)
		return die("receive the descriptor");
	close(conn);
	close(l);
	if (write(fd, request, (size_t)len) != len)
		return die("write the request");
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return die("write the answer");
	return n < 0 ? die("read the answer") : 0;
}

static int
do_send(const char *path, const char *address, const char *port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_un sa;
	socklen_t len;
	char byte = 'x', control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&byte, 1};
	struct msghdr mh = {.msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = control,
	    .msg_controllen = sizeof(control)};
	struct cmsghdr *cm;
	int fd, u;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, address, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)atoi(port));
		len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, address, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)atoi(port));
		len = sizeof(*s6);
	} else {
		fprintf(stderr, "tcp_pass_fd: %s is not a numeric address\n", address);
		return 2;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&ss, len) != 0)
		return die("connect over TCP");
	if (unix_addr(path, &sa) != 0 || (u = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    connect(u, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		return die("connect to the receiver");
	memset(control, 0, sizeof(control));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	if (sendmsg(u, &mh, 0) != 1)
		return die("pass the descriptor");
	close(u);
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "recv") == 0)
		return do_recv(argv[2], argv[3]);
	if (argc == 5 && strcmp(argv[1], "send") == 0)
		return do_send(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: tcp_pass_fd recv UNIX_PATH REQUEST_FILE\n"
	                "       tcp_pass_fd send UNIX_PATH ADDRESS PORT\n");
	return 2;
}
