/*
 * history_files.c: the checked directories and files of orask's history.
 *
 * Every file is reached through the descriptor of a directory that was
 * checked (owned by the caller, no group or other bits), opened with
 * O_NOFOLLOW and checked again on its own descriptor: a history readable by
 * others is never written to, whatever its path looks like.
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

#include <json-c/json.h>

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
orask_history_open(const char *dir, struct orask_history **out, char *msg, size_t size)
{
	struct orask_history *h;
	enum orask_history_status r;
	char *conv_path;

	*out = NULL;
	h = ora_xcalloc(1, sizeof(*h));
	h->dir = ora_xstrdup(dir);
	h->dfd = h->conv_dfd = -1;
	make_parents(dir);
	if ((r = open_dir(AT_FDCWD, dir, dir, &h->dfd, msg, size)) == ORASK_HISTORY_OK) {
		conv_path = ora_xasprintf("%s/%s", dir, HIST_CONV_DIR);
		r = open_dir(h->dfd, HIST_CONV_DIR, conv_path, &h->conv_dfd, msg, size);
		free(conv_path);
	}
	if (r != ORASK_HISTORY_OK) {
		orask_history_close(h);
		return r;
	}
	*out = h;
	return ORASK_HISTORY_OK;
}

void
orask_history_close(struct orask_history *h)
{
	if (h == NULL)
		return;
	if (h->conv_dfd >= 0)
		close(h->conv_dfd);
	if (h->dfd >= 0)
		close(h->dfd);
	free(h->dir);
	free(h);
}

/* Read file name in dfd (path for messages) whole, after checking it.
 * ORASK_HISTORY_NOT_FOUND when it does not exist. */
enum orask_history_status
hist_read_file(
    int dfd, const char *name, const char *path, char **out, size_t *len, char *msg, size_t size)
{
	enum orask_history_status r;
	size_t cap = 4096, n = 0;
	char *buf;
	ssize_t got;
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
	if ((r = hist_check_fd(fd, path, 0, msg, size)) != ORASK_HISTORY_OK) {
		close(fd);
		return r;
	}
	buf = ora_xmalloc(cap + 1);
	for (;;) {
		if (n == cap) {
			if (cap >= HIST_FILE_READ_MAX) {
				r = hist_say(msg, size, ORASK_HISTORY_UNAVAILABLE,
				    "%s is larger than %u MiB, which orask never writes: remove it",
				    path, HIST_FILE_READ_MAX >> 20);
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
	close(fd);
	if (r != ORASK_HISTORY_OK) {
		free(buf);
		return r;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return ORASK_HISTORY_OK;
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

/* Write data to file name in dfd, which must be the caller's alone if it
 * exists. Replacing: to a temporary file created with mode 0600, then
 * renamed over it, so a reader sees the old file or the new one, never
 * half of one. In place (a new file, or one read only under the lock):
 * one file creation less, which is most of what the history costs a
 * short question on ext4. */
enum orask_history_status
hist_write_file(int dfd, const char *name, const char *path, const char *data, size_t len,
    int in_place, char *msg, size_t size)
{
	enum orask_history_status r;
	char tmp[ORASK_CID_MAX + 64];
	struct stat st;
	int fd, e = 0;

	snprintf(tmp, sizeof(tmp), ".%s.%ld.tmp", name, (long)getpid());
	fd = openat(dfd, in_place ? name : tmp,
	    O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (in_place ? 0 : O_TRUNC), 0600);
	if (fd < 0)
		return hist_say(msg, size,
		    errno == ELOOP ? ORASK_HISTORY_UNSAFE : ORASK_HISTORY_UNAVAILABLE,
		    "cannot write %s: %s", path, strerror(errno));
	if (in_place && ((r = hist_check_fd(fd, path, 0, msg, size)) != ORASK_HISTORY_OK ||
	                    (fstat(fd, &st) == 0 && st.st_size > 0 && ftruncate(fd, 0) != 0 &&
	                        (e = errno) != 0))) {
		close(fd);
		return e != 0 ? hist_say(msg, size, ORASK_HISTORY_UNAVAILABLE,
		                    "cannot write %s: %s", path, strerror(e))
		              : r;
	}
	if (hist_write_all(fd, data, len) != 0)
		e = errno;
	if (close(fd) != 0 && e == 0)
		e = errno;
	if (!in_place && e == 0 && renameat(dfd, tmp, dfd, name) != 0)
		e = errno;
	if (e != 0) {
		if (!in_place)
			unlinkat(dfd, tmp, 0);
		return hist_say(
		    msg, size, ORASK_HISTORY_UNAVAILABLE, "cannot write %s: %s", path, strerror(e));
	}
	return ORASK_HISTORY_OK;
}

/* ---- JSON helpers --------------------------------------------------------- */

const char *
hist_json_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int64_t
hist_json_int(struct json_object *o, const char *key, int64_t def)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return def;
	return json_object_get_int64(v);
}

struct json_object *
hist_json_string_or_null(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

const char *
hist_json_text(struct json_object *o)
{
	return json_object_to_json_string_ext(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}
