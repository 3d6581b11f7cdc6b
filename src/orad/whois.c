/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"
#include "orad/peers.h"
#include "orad/whois.h"

/* What the account files looked like when an entry was resolved. */
struct files_stamp {
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
	struct entry slots[WHOIS_SLOTS];
};

static const char *const account_files[2] = { "/etc/passwd", "/etc/group" };

static void
take_stamp(struct files_stamp *s)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
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
	return ora_xcalloc(1, sizeof(struct orad_whois));
}

void
whois_free(struct orad_whois *w)
{
	if (w == NULL)
		return;
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
		take_stamp(&now);
	if (e->used && e->uid == c->uid && e->gid == c->gid &&
	    (checked || same_stamp(&e->stamp, &now)) &&
	    t - e->resolved_us < (uint64_t)WHOIS_MAX_AGE_MS * 1000) {
		copy_identity(id, &e->id);
		id->pid = c->pid;
		c->files_checked = c->requests;
		return 0;
	}
	if (checked)
		take_stamp(&now);
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
