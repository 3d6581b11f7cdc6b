/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "orad/listen.h"
#include "orad/tcpident.h"

#define SD_LISTEN_FDS_START 3

/* systemd passes LISTEN_PID/LISTEN_FDS; honour exactly one socket. */
static int
take_activated(struct listen_socket *ls)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	unsigned long p, n;

	if (pid == NULL || fds == NULL || ora_parse_ulong(pid, (unsigned long)-1, &p) != 0 ||
	    (pid_t)p != getpid() || ora_parse_ulong(fds, 64, &n) != 0 || n != 1)
		return 0;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	ls->fd = SD_LISTEN_FDS_START;
	ls->activated = 1;
	fcntl(ls->fd, F_SETFD, FD_CLOEXEC);
	/* systemd hands sockets over blocking unless NonBlocking=yes; the
	 * event loop accepts until EAGAIN, and would hang in accept(). */
	fcntl(ls->fd, F_SETFL, fcntl(ls->fd, F_GETFL) | O_NONBLOCK);
	return 1;
}

static int
remove_stale(const char *path, struct ora_error *err)
{
	struct stat st;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : ora_error_set(err, "cannot inspect %s: %s", path, strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return ora_error_set(err,
		    "%s exists and is not a socket; refusing to remove it. Move it away or set "
		    "daemon.socket to another path", path);
	ora_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return ora_error_set(err, "socket: %s", strerror(errno));
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (r == 0)
		return ora_error_set(err,
		    "another broker is already serving %s; stop it first, or set daemon.socket to "
		    "another path", path);
	if (errno != ECONNREFUSED)
		return ora_error_set(err, "cannot tell whether %s is in use (%s); remove it by hand if "
		    "no broker runs", path, strerror(errno));
	/* A socket nobody listens on: left behind by a broker that died. */
	if (unlink(path) != 0)
		return ora_error_set(err, "cannot remove stale socket %s: %s", path, strerror(errno));
	ora_log_info("removed stale socket %s", path);
	return 0;
}

static int
set_owner(const struct ora_daemon_conf *dc, struct ora_error *err)
{
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;

	if (dc->socket_owner != NULL) {
		struct passwd *pw = getpwnam(dc->socket_owner);
		if (pw == NULL)
			return ora_error_set(err, "daemon.socket_owner: no user named %s", dc->socket_owner);
		uid = pw->pw_uid;
	}
	if (dc->socket_group != NULL) {
		struct group *gr = getgrnam(dc->socket_group);
		if (gr == NULL)
			return ora_error_set(err, "daemon.socket_group: no group named %s", dc->socket_group);
		gid = gr->gr_gid;
	}
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(dc->socket_path, uid, gid) != 0)
		return ora_error_set(err, "cannot chown %s: %s", dc->socket_path, strerror(errno));
	if (chmod(dc->socket_path, dc->socket_mode) != 0)
		return ora_error_set(err, "cannot chmod %s: %s", dc->socket_path, strerror(errno));
	return 0;
}

int
listen_open(const struct ora_daemon_conf *dc, struct listen_socket *ls, struct ora_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old_umask;
	int r;

	memset(ls, 0, sizeof(*ls));
	ls->fd = -1;
	if (take_activated(ls))
		return 0;
	if (strlen(dc->socket_path) >= sizeof(sa.sun_path))
		return ora_error_set(err, "daemon.socket %s is longer than %zu bytes; choose a shorter path",
		    dc->socket_path, sizeof(sa.sun_path) - 1);
	ora_strlcpy(sa.sun_path, dc->socket_path, sizeof(sa.sun_path));
	if (remove_stale(dc->socket_path, err) != 0)
		return -1;
	if ((ls->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return ora_error_set(err, "socket: %s", strerror(errno));
	/* Nobody may connect before owner and mode are right. */
	old_umask = umask(0177);
	r = bind(ls->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_umask);
	if (r != 0) {
		ora_error_set(err, "cannot bind %s: %s%s", dc->socket_path, strerror(errno),
		    errno == ENOENT ? " (create the directory first)" : "");
		goto fail;
	}
	if (lstat(dc->socket_path, &st) != 0) {
		ora_error_set(err, "cannot inspect %s after bind: %s", dc->socket_path, strerror(errno));
		goto fail;
	}
	ls->dev = st.st_dev;
	ls->ino = st.st_ino;
	if (set_owner(dc, err) != 0) {
		listen_remove(dc->socket_path, ls);
		goto fail;
	}
	if (listen(ls->fd, LISTEN_BACKLOG) != 0) {
		ora_error_set(err, "cannot listen on %s: %s", dc->socket_path, strerror(errno));
		listen_remove(dc->socket_path, ls);
		goto fail;
	}
	return 0;
fail:
	close(ls->fd);
	ls->fd = -1;
	return -1;
}

void
listen_remove(const char *path, const struct listen_socket *ls)
{
	struct stat st;

	if (ls->activated || ls->ino == 0)
		return;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == ls->dev &&
	    st.st_ino == ls->ino)
		unlink(path);
}

int
listen_tcp_open(const struct ora_daemon_conf *dc, struct listen_tcp *lt, struct ora_error *err)
{
	memset(lt, 0, sizeof(*lt));
	for (size_t i = 0; i < dc->n_listen && i < ORA_LISTEN_MAX; i++) {
		if (orad_tcpident_listen(dc->listen[i], LISTEN_BACKLOG, &lt->fd[i], err) != 0) {
			listen_tcp_close(lt);
			return -1;
		}
		lt->spec[i] = ora_xstrdup(dc->listen[i]);
		lt->n = i + 1;
	}
	return 0;
}

int
listen_tcp_changed(const struct ora_daemon_conf *dc, const struct listen_tcp *lt)
{
	if (dc->n_listen != lt->n)
		return 1;
	for (size_t i = 0; i < lt->n; i++)
		if (strcmp(dc->listen[i], lt->spec[i]) != 0)
			return 1;
	return 0;
}

void
listen_tcp_close(struct listen_tcp *lt)
{
	for (size_t i = 0; i < lt->n; i++) {
		if (lt->fd[i] >= 0)
			close(lt->fd[i]);
		free(lt->spec[i]);
	}
	memset(lt, 0, sizeof(*lt));
}
