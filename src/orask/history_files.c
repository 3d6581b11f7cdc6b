/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * history_files.c: the checked directory and files of orask's history.
 *
 * Every file is reached through the descriptor of a directory that was
 * checked (owned by the caller, no group or other bits), opened with
 * O_NOFOLLOW and checked again on its own descriptor: a history readable by
 * others is never written to, whatever its path looks like. SQLite then
 * opens the database by its path, inside that private directory, which no
 * one else can change.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "orask/history_internal.h"

enum orask_history_status
hist_say(char *msg, size_t size, enum orask_history_status status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, size, fmt, ap);
	va_end(ap);
	return status;
}

/* ---- checked directories and files -------------------------------------- */

enum orask_history_status
hist_check_fd(int fd, const char *path, int want_dir, char *msg, size_t size)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return hist_say(msg, size, ORASK_HISTORY_UNAVAILABLE, "cannot check %s: %s", path,
		    strerror(errno));
	if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		return hist_say(msg, size, ORASK_HISTORY_UNSAFE,
		    "%s is not a %s; orask keeps its history there: move it away", path,
		    want_dir ? "directory" : "regular file");
	if (st.st_uid != getuid())
		return hist_say(msg, size, ORASK_HISTORY_UNSAFE,
		    "%s belongs to uid %ld, not to you (uid %ld): orask keeps its history only "
		    "in files of yours; remove it, or set XDG_STATE_HOME to a directory of yours",
		    path, (long)st.st_uid, (long)getuid());
	if ((st.st_mode & 077) != 0)
		return hist_say(msg, size, ORASK_HISTORY_UNSAFE,
		    "%s is open to other users (mode %04o) and the history is private; run: "
		    "chmod %s '%s'",
		    path, (unsigned)(st.st_mode & 07777), want_dir ? "700" : "600", path);
	return ORASK_HISTORY_OK;
}

/* Create (if missing) and open directory name under dfd, then check it. */
static enum orask_history_status
open_dir(int dfd, const char *name, const char *path, int *out, char *msg, size_t size)
{
	enum orask_history_status r;
	int fd;

	*out = -1;
	if (mkdirat(dfd, name, 0700) != 0 && errno != EEXIST)
		return hist_say(msg, size, ORASK_HISTORY_UNAVAILABLE, "cannot create %s: %s", path,
		    strerror(errno));
	/* The state directory itself may be a symbolic link (to another
	 * disk): its target is what gets checked. Inside it, none is
	 * followed. */
	fd = openat(
	    dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (dfd == AT_FDCWD ? 0 : O_NOFOLLOW));
	if (fd < 0)
		return hist_say(msg, size,
		    errno == ELOOP ? ORASK_HISTORY_UNSAFE : ORASK_HISTORY_UNAVAILABLE,
		    "cannot open %s: %s", path, strerror(errno));
	if ((r = hist_check_fd(fd, path, 1, msg, size)) != ORASK_HISTORY_OK) {
		close(fd);
		return r;
	}
	*out = fd;
	return ORASK_HISTORY_OK;
}

/* mkdir -p of the parents of path, mode 0700 for those it creates, as the
 * XDG specification asks. */
static void
make_parents(const char *path)
{
	char *p = ora_xstrdup(path), *slash;

	for (slash = strchr(p + 1, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		(void)mkdir(p, 0700);
		*slash = '/';
	}
	free(p);
}

enum orask_history_status
hist_open_dir(const char *dir, int *out, char *msg, size_t size)
{
	make_parents(dir);
	return open_dir(AT_FDCWD, dir, dir, out, msg, size);
}

enum orask_history_status
hist_check_file(int dfd, const char *dir, const char *name, int create, char *msg, size_t size)
{
	enum orask_history_status r;
	char *path = ora_xasprintf("%s/%s", dir, name);
	int fd;

	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
	if (fd < 0) {
		r = errno == ENOENT
		        ? ORASK_HISTORY_NOT_FOUND
		        : hist_say(msg, size,
		              errno == ELOOP ? ORASK_HISTORY_UNSAFE : ORASK_HISTORY_UNAVAILABLE,
		              "cannot open %s: %s", path, strerror(errno));
	} else {
		r = hist_check_fd(fd, path, 0, msg, size);
		close(fd);
	}
	free(path);
	return r;
}

enum orask_history_status
orask_history_check(const char *dir, char *msg, size_t size)
{
	enum orask_history_status r;
	int dfd;

	if ((r = hist_open_dir(dir, &dfd, msg, size)) != ORASK_HISTORY_OK)
		return r;
	r = hist_check_file(dfd, dir, ORASK_HISTORY_DB, 0, msg, size);
	close(dfd);
	return r == ORASK_HISTORY_NOT_FOUND ? ORASK_HISTORY_OK : r;
}

enum orask_history_status
hist_read_fd(int fd, const char *path, size_t max, char **out, size_t *len, char *msg, size_t size)
{
	enum orask_history_status r = ORASK_HISTORY_OK;
	size_t cap = 4096, n = 0;
	char *buf;
	ssize_t got;

	*out = NULL;
	*len = 0;
	buf = ora_xmalloc(cap + 1);
	for (;;) {
		if (n == cap) {
			if (cap >= max) {
				r = hist_say(msg, size, ORASK_HISTORY_UNAVAILABLE,
				    "%s is larger than %zu MiB, which orask never writes: remove "
				    "it",
				    path, max >> 20);
				break;
			}
			cap *= 2;
			buf = ora_xrealloc(buf, cap + 1);
		}
		if ((got = read(fd, buf + n, cap - n)) == 0)
			break;
		if (got < 0) {
			if (errno == EINTR)
				continue;
			r = hist_say(msg, size, ORASK_HISTORY_UNAVAILABLE, "cannot read %s: %s",
			    path, strerror(errno));
			break;
		}
		n += (size_t)got;
	}
	if (r != ORASK_HISTORY_OK) {
		free(buf);
		return r;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return ORASK_HISTORY_OK;
}

/* Read file name in dfd (path for messages) whole, after checking it.
 * ORASK_HISTORY_NOT_FOUND when it does not exist. */
enum orask_history_status
hist_read_file(
    int dfd, const char *name, const char *path, char **out, size_t *len, char *msg, size_t size)
{
	enum orask_history_status r;
	int fd;

	*out = NULL;
	*len = 0;
	if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return ORASK_HISTORY_NOT_FOUND;
		return hist_say(msg, size,
		    errno == ELOOP ? ORASK_HISTORY_UNSAFE : ORASK_HISTORY_UNAVAILABLE,
		    "cannot open %s: %s", path, strerror(errno));
	}
	if ((r = hist_check_fd(fd, path, 0, msg, size)) == ORASK_HISTORY_OK)
		r = hist_read_fd(fd, path, HIST_FILE_READ_MAX, out, len, msg, size);
	close(fd);
	return r;
}

int
hist_write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}
