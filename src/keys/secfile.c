/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * secfile.c: opening, checking and writing files that hold secrets.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/util.h"
#include "keys/secfile.h"

#define SECFILE_NAME_MAX 64 /* "root", "ora" or a uid in decimal */

/* A user name for messages, or the uid in decimal when it has none. */
static void
secfile_user_name(uid_t uid, char *buf, size_t size)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) == 0 && res != NULL)
		ora_strlcpy(buf, res->pw_name, size);
	else
		snprintf(buf, size, "%lu", (unsigned long)uid);
}

/* err gets a message about path, and errno keeps the cause for the caller. */
static int
secfile_errno(struct ora_error *err, int errnum, const char *what, const char *path)
{
	switch (errnum) {
	case ENOENT:
		ora_error_set(err, "%s does not exist", path);
		break;
	case ELOOP:
		ora_error_set(err,
		    "%s is a symbolic link: ora does not follow links to secret files, so "
		    "nobody can point it at a file of their choosing; replace the link with "
		    "the file itself",
		    path);
		break;
	case EACCES:
		ora_error_set(err,
		    "cannot %s %s: permission denied (run this as root or as the user orad "
		    "runs as)",
		    what, path);
		break;
	default:
		ora_error_set(err, "cannot %s %s: %s", what, path, strerror(errnum));
		break;
	}
	errno = errnum;
	return -1;
}

/*
 * The one place that decides whether a secret file or its directory is
 * private enough. Owner and mode are both reported at once, with the exact
 * command that fixes them, because the person reading it is usually an
 * admin in the middle of an install.
 */
static int
secfile_check_stat(
    const char *path, const struct stat *st, int is_dir, uid_t alt_owner, struct ora_error *err)
{
	char have[SECFILE_NAME_MAX], want[SECFILE_NAME_MAX];
	uid_t euid = geteuid();
	uid_t expect = alt_owner != ORA_SECFILE_NO_OWNER ? alt_owner : euid;
	int owner_ok, mode_ok;
	const char *access;
	unsigned int mode = (unsigned int)(st->st_mode & 07777);

	if (is_dir && !S_ISDIR(st->st_mode)) {
		errno = ENOTDIR;
		return ora_error_set(err, "%s is not a directory", path);
	}
	if (!is_dir && !S_ISREG(st->st_mode)) {
		errno = EINVAL;
		return ora_error_set(err, "%s is not a regular file", path);
	}
	/* Root may use a directory owned by the daemon user (see keystore.h);
	 * anyone else only their own, since another user could swap its
	 * files. */
	if (is_dir)
		owner_ok = euid == 0 || st->st_uid == euid;
	else
		owner_ok = st->st_uid == euid || st->st_uid == expect;
	mode_ok = (st->st_mode & (S_IRWXG | S_IRWXO)) == 0;
	if (owner_ok && mode_ok)
		return 0;

	errno = EPERM;
	access = (st->st_mode & (S_IRGRP | S_IROTH)) ? "readable" : "accessible";
	secfile_user_name(st->st_uid, have, sizeof(have));
	secfile_user_name(expect, want, sizeof(want));
	if (!owner_ok && !mode_ok)
		return ora_error_set(err,
		    "%s is owned by %s, not %s, and %s by group or others (mode 0%o): run "
		    "chown %s %s && chmod %s %s",
		    path, have, want, access, mode, want, path, is_dir ? "700" : "600", path);
	if (!owner_ok)
		return ora_error_set(err, "%s is owned by %s, not %s: run chown %s %s", path, have,
		    want, want, path);
	return ora_error_set(err, "%s is %s by group or others (mode 0%o): run chmod %s %s", path,
	    access, mode, is_dir ? "700" : "600", path);
}

int
ora_secfile_dir_open(
    const char *path, int nofollow, int *fdp, struct stat *st, struct ora_error *err)
{
	int fd, saved;

	*fdp = -1;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
	if (fd == -1)
		return secfile_errno(err, errno, "open directory", path);
	if (fstat(fd, st) == -1) {
		saved = errno;
		close(fd);
		return secfile_errno(err, saved, "check directory", path);
	}
	*fdp = fd;
	return 0;
}

int
ora_secfile_dir_check(const char *path, const struct stat *st, struct ora_error *err)
{
	return secfile_check_stat(path, st, 1, ORA_SECFILE_NO_OWNER, err);
}

int
ora_secfile_open(int dirfd, const char *name, const char *path, uid_t alt_owner, int *fdp,
    struct stat *st, struct ora_error *err)
{
	int fd, saved;

	*fdp = -1;
	/* O_NOFOLLOW: a link could point anywhere. O_NONBLOCK: a FIFO planted
	 * in place of the file must not hang the daemon; it is refused below
	 * as not a regular file, and regular files ignore the flag. */
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd == -1)
		return secfile_errno(err, errno, "read", path);
	/* Checked on the descriptor, so what is checked is what is read. */
	if (fstat(fd, st) == -1) {
		saved = errno;
		close(fd);
		return secfile_errno(err, saved, "check", path);
	}
	if (secfile_check_stat(path, st, 0, alt_owner, err) != 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	*fdp = fd;
	return 0;
}

int
ora_secfile_read(int fd, const char *path, unsigned char *buf, size_t len, struct ora_error *err)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = read(fd, buf + done, len - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return secfile_errno(err, errno, "read", path);
		if (n == 0) {
			errno = EIO;
			return ora_error_set(err, "%s changed while it was read: try again", path);
		}
		done += (size_t)n;
	}
	return 0;
}

static int
secfile_write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
ora_secfile_write(int dirfd, const char *dirpath, const char *name, const void *data, size_t len,
    int replace, uid_t owner, gid_t group, struct ora_error *err)
{
	char *tmp = NULL, *path = ora_xasprintf("%s/%s", dirpath, name);
	const char *target = name, *what = "create";
	int fd = -1, ret = -1, saved = 0;

	if (replace) {
		/* Dot-prefixed, so it can never be a key name or be listed as one;
		 * random, so two writers never share it. */
		tmp = ora_xasprintf(".%s.tmp-%08x", name, randombytes_random());
		target = tmp;
	}
	fd = openat(dirfd, target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		saved = errno;
		if (saved == EEXIST && !replace)
			ora_error_set(err, "%s exists", path);
		else
			secfile_errno(err, saved, "create", path);
		goto out;
	}
	/* The umask can only take bits away; set the mode we mean. */
	what = "set the mode of";
	if (fchmod(fd, 0600) == -1)
		goto fail;
	what = "change the owner of";
	if (owner != ORA_SECFILE_NO_OWNER && fchown(fd, owner, group) == -1)
		goto fail;
	what = "write";
	if (secfile_write_all(fd, data, len) == -1 || fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	what = "rename a temporary file to";
	if (replace && renameat(dirfd, tmp, dirfd, name) == -1)
		goto fail;
	/* The rename (or creation) is durable only once the directory is. */
	what = "sync the directory of";
	if (fsync(dirfd) == -1) {
		saved = errno;
		secfile_errno(err, saved, what, path);
		goto out;
	}
	ret = 0;
	goto out;

fail:
	saved = errno;
	secfile_errno(err, saved, what, path);
	if (fd != -1)
		close(fd);
	fd = -1;
	unlinkat(dirfd, target, 0);
out:
	if (fd != -1)
		close(fd);
	free(tmp);
	free(path);
	if (ret != 0)
		errno = saved;
	return ret;
}
