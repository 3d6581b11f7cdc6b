/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "common/log.h"
#include "common/util.h"
#include "orad/peers.h"
#include "orad/whois.h"

/* What the account files looked like when an entry was resolved: their
 * generation while they are watched, their inode, size and mtime when
 * they are not. */
struct files_stamp {
	uint64_t generation;
	ino_t ino[2];
	off_t size[2];
	struct timespec mtime[2];
};

struct entry {
	int used;
	uid_t uid;
	gid_t gid;
	uint64_t resolved_us;
	struct files_stamp stamp;
	struct ora_identity id;
};

struct orad_whois {
	int watch_fd;        /* inotify, or -1: a stat of each file per request */
	int dir_wd;          /* the watch on the files' directory */
	uint64_t generation; /* counts what the watches reported */
	struct entry slots[WHOIS_SLOTS];
};

#define ACCOUNT_DIR "/etc"
static const char *const account_files[2] = { ACCOUNT_DIR "/passwd", ACCOUNT_DIR "/group" };
static const char *const account_names[2] = { "passwd", "group" };

/* Writes in place (and any change of the inode's metadata) show on the
 * files' own watches, whatever name they were written through; a file
 * replaced by a rename, as shadow's tools and editors do, on the
 * directory's. */
#define FILE_EVENTS (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF)
#define DIR_EVENTS                                                                      \
	(IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | \
	    IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

static void
stop_watching(struct orad_whois *w)
{
	close(w->watch_fd);
	w->watch_fd = -1;
	w->generation++;
	ora_log_warning("/etc/passwd and /etc/group can no longer be watched; they are "
	                "stat'ed for every request from now on");
}

/* Watch each file where its name now leads (again after a rename). A
 * file that is not a regular file in the directory itself (a symbolic
 * link, a file mounted from elsewhere) would change without the
 * directory hearing of it: such files are stat'ed per request instead. */
static int
watch_files(struct orad_whois *w)
{
	struct stat dir, st;

	if (stat(ACCOUNT_DIR, &dir) != 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		if (lstat(account_files[i], &st) != 0) {
			if (errno == ENOENT)
				continue; /* its creation shows on the directory */
			return -1;
		}
		if (!S_ISREG(st.st_mode) || st.st_dev != dir.st_dev ||
		    inotify_add_watch(w->watch_fd, account_files[i], FILE_EVENTS | IN_DONT_FOLLOW) < 0)
			return -1;
	}
	return 0;
}

static void
start_watching(struct orad_whois *w)
{
	w->watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->watch_fd < 0)
		return;
	w->dir_wd = inotify_add_watch(w->watch_fd, ACCOUNT_DIR, DIR_EVENTS);
	if (w->dir_wd < 0 || watch_files(w) != 0) {
		close(w->watch_fd); /* orad says so at start (whois_watching) */
		w->watch_fd = -1;
	}
}

static int
names_account_file(const struct inotify_event *ev)
{
	for (int i = 0; i < 2; i++)
		if (ev->len > 0 && strcmp(ev->name, account_names[i]) == 0)
			return 1;
	return 0;
}

/* Take what the watches queued: one read(2), which finds the queue empty
 * on almost every request. The kernel queues an event before the call
 * that changed the file returns, so a change made before a request was
 * sent is seen by it, as a stat would see it. */
static void
read_events(struct orad_whois *w)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(w->watch_fd, buf, sizeof(buf))) > 0) {
		int changed = 0, renamed = 0;

		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			if (ev->mask & IN_Q_OVERFLOW)
				changed = 1;
			else if (ev->wd == w->dir_wd) {
				if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)) {
					stop_watching(w);
					return;
				}
				if (names_account_file(ev)) {
					changed = 1;
					renamed |= (ev->mask & (IN_CREATE | IN_MOVED_TO)) != 0;
				}
			} else if (!(ev->mask & IN_IGNORED))
				changed = 1; /* a file's own watch */
			p += sizeof(*ev) + ev->len;
		}
		if (changed)
			w->generation++;
		if (renamed && watch_files(w) != 0) {
			stop_watching(w);
			return;
		}
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		stop_watching(w);
}

static void
take_stamp(struct orad_whois *w, struct files_stamp *s)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	if (w->watch_fd >= 0)
		read_events(w);
	s->generation = w->generation;
	if (w->watch_fd >= 0)
		return;
	for (int i = 0; i < 2; i++) {
		if (stat(account_files[i], &st) != 0)
			continue;
		s->ino[i] = st.st_ino;
		s->size[i] = st.st_size;
		s->mtime[i] = st.st_mtim;
	}
}

static int
same_stamp(const struct files_stamp *a, const struct files_stamp *b)
{
	if (a->generation != b->generation)
		return 0;
	for (int i = 0; i < 2; i++)
		if (a->ino[i] != b->ino[i] || a->size[i] != b->size[i] ||
		    a->mtime[i].tv_sec != b->mtime[i].tv_sec || a->mtime[i].tv_nsec != b->mtime[i].tv_nsec)
			return 0;
	return 1;
}

static void
copy_identity(struct ora_identity *dst, const struct ora_identity *src)
{
	*dst = *src;
	dst->gids = ora_xcalloc(src->n_groups, sizeof(gid_t));
	dst->groups = ora_xcalloc(src->n_groups, sizeof(char *));
	memcpy(dst->gids, src->gids, src->n_groups * sizeof(gid_t));
	for (size_t i = 0; i < src->n_groups; i++)
		dst->groups[i] = ora_xstrdup(src->groups[i]);
}

struct orad_whois *
whois_new(void)
{
	struct orad_whois *w = ora_xcalloc(1, sizeof(struct orad_whois));

	start_watching(w);
	return w;
}

int
whois_watching(const struct orad_whois *w)
{
	return w->watch_fd >= 0;
}

void
whois_free(struct orad_whois *w)
{
	if (w == NULL)
		return;
	if (w->watch_fd >= 0)
		close(w->watch_fd);
	for (size_t i = 0; i < WHOIS_SLOTS; i++)
		ora_identity_clear(&w->slots[i].id);
	free(w);
}

int
whois_resolve(struct orad_whois *w, struct orad_conn *c, struct ora_identity *id,
    struct ora_error *err)
{
	struct entry *e = &w->slots[(c->uid * 31u + c->gid) % WHOIS_SLOTS];
	struct files_stamp now;
	uint64_t t = ora_now_us();
	/* This request's head found the files as the entry saw them (or
	 * the entry was resolved afresh since): no need to look again. */
	int checked = c->requests != 0 && c->files_checked == c->requests;

	if (!checked)
		take_stamp(w, &now);
	if (e->used && e->uid == c->uid && e->gid == c->gid &&
	    (checked || same_stamp(&e->stamp, &now)) &&
	    t - e->resolved_us < (uint64_t)WHOIS_MAX_AGE_MS * 1000) {
		copy_identity(id, &e->id);
		id->pid = c->pid;
		c->files_checked = c->requests;
		return 0;
	}
	if (checked)
		take_stamp(w, &now);
	if (ora_identity_resolve(c->uid, c->gid, id, err) != 0)
		return -1;
	c->files_checked = c->requests;
	id->pid = c->pid;
	ora_identity_clear(&e->id);
	copy_identity(&e->id, id);
	e->used = 1;
	e->uid = c->uid;
	e->gid = c->gid;
	e->stamp = now;
	e->resolved_us = t;
	return 0;
}
