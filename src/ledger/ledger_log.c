/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ledger/ledger_log.h"

#define LOG_MAGIC 0x4c41524fu /* "ORAL" */

struct record_header {
	uint32_t magic;
	uint32_t type;
	uint32_t len;
	uint32_t reserved;
	uint64_t seq;
	uint64_t sum;
};

struct ora_ledger_log {
	int fd;
	unsigned char *base;
	size_t capacity;
	size_t end;        /* where the next record goes */
	size_t reached;    /* the furthest end since the pages past KEEP were given back */
	uint64_t last_seq; /* of the chain's last record; 0: none */
	char *path;        /* NULL: an image in memory (ora_ledger_log_open_image) */
};

static size_t
padded(size_t len)
{
	return (len + 7) & ~(size_t)7;
}

/* A 64-bit multiply-and-rotate hash over whole words: enough to tell a torn
 * or stale record from a whole one, at a fraction of the cost of a byte at
 * a time (this is no defence against anyone who can write the file: only
 * the daemon's user can). */
static uint64_t
mix(uint64_t sum, uint64_t word)
{
	sum ^= word * 0x9e3779b97f4a7c15ull;
	return ((sum << 31) | (sum >> 33)) * 0xbf58476d1ce4e5b9ull;
}

static uint64_t
checksum(const struct record_header *h, const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t sum = mix(mix(mix(0x6f72616c6f67ull, h->type), h->len), h->seq), word;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&word, p + i, 8);
		sum = mix(sum, word);
	}
	word = 0;
	memcpy(&word, p + i, len - i);
	return mix(sum, word ^ ((uint64_t)(len - i) << 56));
}

/* The record at pos if it continues a chain whose last number is prev (0:
 * it would be the first), else NULL. */
static const struct record_header *
record_at(const struct ora_ledger_log *log, size_t pos, uint64_t prev)
{
	const struct record_header *h;

	if (log->capacity - pos < sizeof(*h))
		return NULL;
	h = (const struct record_header *)(log->base + pos);
	if (h->magic != LOG_MAGIC || padded(h->len) > log->capacity - pos - sizeof(*h) ||
	    h->seq == 0 || (prev != 0 && h->seq != prev + 1))
		return NULL;
	if (h->sum != checksum(h, h + 1, h->len))
		return NULL;
	return h;
}

static void
find_chain(struct ora_ledger_log *log)
{
	const struct record_header *h;
	size_t pos = 0;
	uint64_t prev = 0;

	while ((h = record_at(log, pos, prev)) != NULL) {
		prev = h->seq;
		pos += sizeof(*h) + padded(h->len);
	}
	log->end = pos;
	log->last_seq = prev;
}

/* A reader (oractl report) may hold a shared lock for the moment it takes
 * to look at the log: wait that out, but not a broker that holds it. */
#define LOG_LOCK_TRIES 100
#define LOG_LOCK_PAUSE_US 10000

static int
lock_log(int fd)
{
	for (int i = 0; i < LOG_LOCK_TRIES; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK)
			return -1;
		usleep(LOG_LOCK_PAUSE_US);
	}
	return -1;
}

static int
in_use(const char *path, struct ora_error *err)
{
	return ora_error_set(err,
	    "the ledger log %s is in use by another process: every orad needs a state_dir of its "
	    "own",
	    path);
}

int
ora_ledger_log_check_free(const char *path, struct ora_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int busy;

	if (fd < 0)
		return 0; /* nobody has it; opening it for real will say why not */
	busy = lock_log(fd) != 0 && errno == EWOULDBLOCK;
	close(fd);
	return busy ? in_use(path, err) : 0;
}

int
ora_ledger_log_open(
    const char *path, size_t size, struct ora_ledger_log **out, struct ora_error *err)
{
	struct ora_ledger_log *log = ora_xcalloc(1, sizeof(*log));
	struct stat st;
	int r;

	*out = NULL;
	log->path = ora_xstrdup(path);
	log->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (log->fd < 0) {
		ora_error_set(err, "cannot open the ledger log %s: %s", path, strerror(errno));
		goto fail;
	}
	if (lock_log(log->fd) != 0) {
		in_use(path, err);
		goto fail;
	}
	if (fstat(log->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		ora_error_set(err, "the ledger log %s is not a regular file", path);
		goto fail;
	}
	log->capacity = (size_t)st.st_size > size ? (size_t)st.st_size : size;
	if ((size_t)st.st_size < log->capacity &&
	    (r = posix_fallocate(log->fd, 0, (off_t)log->capacity)) != 0) {
		ora_error_set(err, "cannot allocate %zu bytes for the ledger log %s: %s",
		    log->capacity, path, strerror(r));
		goto fail;
	}
	log->base = mmap(NULL, log->capacity, PROT_READ | PROT_WRITE, MAP_SHARED, log->fd, 0);
	if (log->base == MAP_FAILED) {
		log->base = NULL;
		ora_error_set(err, "cannot map the ledger log %s: %s", path, strerror(errno));
		goto fail;
	}
	find_chain(log);
	/* Reading the chain mapped each page of it. */
	log->reached = log->end;
	*out = log;
	return 0;
fail:
	ora_ledger_log_close(log);
	return -1;
}

int
ora_ledger_log_open_image(
    const void *image, size_t len, size_t size, struct ora_ledger_log **out)
{
	struct ora_ledger_log *log = ora_xcalloc(1, sizeof(*log));

	log->fd = -1;
	log->capacity = len > size ? len : size;
	/* Exactly capacity bytes (one for none), so that a sanitizer sees a
	 * read past the end of the log. */
	log->base = ora_xcalloc(1, log->capacity > 0 ? log->capacity : 1);
	if (len > 0)
		memcpy(log->base, image, len);
	find_chain(log);
	*out = log;
	return 0;
}

void
ora_ledger_log_close(struct ora_ledger_log *log)
{
	if (log == NULL)
		return;
	if (log->base != NULL && log->path == NULL)
		free(log->base);
	else if (log->base != NULL)
		munmap(log->base, log->capacity);
	if (log->fd >= 0)
		close(log->fd); /* and with it the lock */
	free(log->path);
	free(log);
}

int
ora_ledger_log_each(
    const struct ora_ledger_log *log, uint64_t after_seq, ora_ledger_log_fn fn, void *arg)
{
	const struct record_header *h;
	size_t pos = 0;
	int r;

	/* Everything below end was checked when the log was opened or
	 * written since by this process: no checksum needs computing again. */
	while (pos < log->end) {
		h = (const struct record_header *)(log->base + pos);
		if (h->seq > after_seq && (r = fn(arg, h->seq, h->type, h + 1, h->len)) != 0)
			return r;
		pos += sizeof(*h) + padded(h->len);
	}
	return 0;
}

static int
count_record(void *arg, uint64_t seq, uint32_t type, const void *data, size_t len)
{
	(*(uint64_t *)arg)++;
	return 0;
}

int
ora_ledger_log_peek(
    const char *path, uint64_t after_seq, uint64_t *pending, int *in_use, struct ora_error *err)
{
	struct ora_ledger_log log = {.fd = -1};
	struct stat st;
	int fd;

	*pending = 0;
	*in_use = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (errno == ENOENT)
			return 0;
		return ora_error_set(
		    err, "cannot read the ledger log %s: %s", path, strerror(errno));
	}
	if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
		*in_use = errno == EWOULDBLOCK;
		close(fd);
		return *in_use ? 0 : ora_error_set(err, "cannot lock the ledger log %s", path);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		close(fd);
		return 0;
	}
	log.capacity = (size_t)st.st_size;
	log.base = mmap(NULL, log.capacity, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (log.base == MAP_FAILED)
		return ora_error_set(
		    err, "cannot map the ledger log %s: %s", path, strerror(errno));
	find_chain(&log);
	ora_ledger_log_each(&log, after_seq, count_record, pending);
	munmap(log.base, log.capacity);
	return 0;
}

uint64_t
ora_ledger_log_last_seq(const struct ora_ledger_log *log)
{
	return log->last_seq;
}

size_t
ora_ledger_log_used(const struct ora_ledger_log *log)
{
	return log->end;
}

size_t
ora_ledger_log_capacity(const struct ora_ledger_log *log)
{
	return log->capacity;
}

void *
ora_ledger_log_reserve(struct ora_ledger_log *log, size_t len, size_t limit)
{
	if (limit > log->capacity)
		limit = log->capacity;
	if (log->end > limit || len > limit ||
	    sizeof(struct record_header) + padded(len) > limit - log->end)
		return NULL;
	return log->base + log->end + sizeof(struct record_header);
}

uint64_t
ora_ledger_log_append(struct ora_ledger_log *log, uint32_t type, size_t len)
{
	struct record_header *h = (struct record_header *)(log->base + log->end);

	h->type = type;
	h->len = (uint32_t)len;
	h->reserved = 0;
	h->seq = log->last_seq + 1;
	h->sum = checksum(h, h + 1, len);
	h->magic = LOG_MAGIC;
	log->last_seq = h->seq;
	log->end += sizeof(*h) + padded(len);
	if (log->end > log->reached)
		log->reached = log->end;
	return h->seq;
}

/* MADV_DONTNEED on a shared mapping of a file only unmaps the pages: their
 * contents (dirty or not) stay in the file and its page cache, and touching
 * them again maps them back. (On memory of a log image it would zero it,
 * and the image is not page-aligned: images are left alone.) */
static void
give_back(struct ora_ledger_log *log)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t from = (ORA_LEDGER_LOG_KEEP_BYTES + page - 1) / page * page;
	size_t to = (log->reached + page - 1) / page * page;

	if (log->path == NULL || log->reached <= ORA_LEDGER_LOG_KEEP_BYTES)
		return;
	if (to > log->capacity)
		to = log->capacity;
	if (to > from)
		madvise(log->base + from, to - from, MADV_DONTNEED);
	log->reached = ORA_LEDGER_LOG_KEEP_BYTES;
}

void
ora_ledger_log_restart(struct ora_ledger_log *log, uint64_t next_seq)
{
	log->end = 0;
	log->last_seq = next_seq - 1;
	give_back(log);
}
