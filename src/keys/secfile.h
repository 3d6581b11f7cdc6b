/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * secfile.h: files that hold secrets (internal to src/keys).
 *
 * Everything goes through directory descriptors (openat, renameat), so a
 * directory that is checked is the one that is used: nobody can swap a path
 * component between the check and the use. Failures name the file and say
 * exactly what command fixes them.
 *
 * On failure these functions return -1, fill err and leave errno set to the
 * cause (ENOENT for a missing file or directory), so a caller can replace the
 * message for the common case with a better one.
 */
#ifndef ORA_SECFILE_H
#define ORA_SECFILE_H

#include <sys/stat.h>
#include <sys/types.h>

#include "common/util.h"

#define ORA_SECFILE_NO_OWNER ((uid_t)-1)

/* Open directory path for *at() calls and fstat it. With nofollow, a path
 * whose last component is a symbolic link is refused. */
int ora_secfile_dir_open(
    const char *path, int nofollow, int *fdp, struct stat *st, struct ora_error *err);

/* Check a directory that holds secret files: a directory, owned by the
 * effective uid (root accepts any owner, see keystore.h), with no group or
 * other permission bits. */
int ora_secfile_dir_check(const char *path, const struct stat *st, struct ora_error *err);

/* Open dirfd/name (dirfd may be AT_FDCWD with an absolute name) read-only,
 * without following links, and check it on the descriptor: a regular file,
 * owned by the effective uid or by alt_owner (ORA_SECFILE_NO_OWNER: none),
 * with no group or other permission bits. path is the name shown in messages. */
int ora_secfile_open(int dirfd, const char *name, const char *path, uid_t alt_owner, int *fdp,
    struct stat *st, struct ora_error *err);

/* Read exactly len bytes from fd into buf. */
int ora_secfile_read(
    int fd, const char *path, unsigned char *buf, size_t len, struct ora_error *err);

/* Write len bytes as dirfd/name, mode 0600, then fsync the file and the
 * directory. With replace, the data goes to a temporary file in the same
 * directory that is renamed over name, so a reader sees the old file or the
 * new one and never half of one; without it, name is created with O_EXCL and
 * an existing file fails with errno EEXIST. When owner is not
 * ORA_SECFILE_NO_OWNER the new file is given to owner:group. dirpath is the
 * directory's name for messages. */
int ora_secfile_write(int dirfd, const char *dirpath, const char *name, const void *data,
    size_t len, int replace, uid_t owner, gid_t group, struct ora_error *err);

#endif
