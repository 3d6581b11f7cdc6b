/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * history_internal.h: what the parts of orask's history share (history.c
 * the database, history_files.c the checked directory and files,
 * history_import.c an older orask's JSON files); the callers' contract is
 * history.h.
 */
#ifndef ORA_ORASK_HISTORY_INTERNAL_H
#define ORA_ORASK_HISTORY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "orask/history.h"

/* An older orask's files, imported once. */
#define HIST_OLD_CONV_DIR "conversations"
#define HIST_OLD_CONV_SUFFIX ".json"
#define HIST_OLD_LOG_FILE "log.jsonl"
/* The largest old file read back; larger is damage. */
#define HIST_FILE_READ_MAX (32u * 1024 * 1024)
#define HIST_BUSY_TIMEOUT_MS 5000 /* another orask writing */
#define HIST_PENDING_FILE "pending.jsonl"

struct orask_history {
	char *dir; /* for messages */
	int dfd;   /* the state directory */
	sqlite3 *db;
};

/* Write a sentence to msg; returns status. */
enum orask_history_status hist_say(char *msg, size_t size, enum orask_history_status status,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Whether the open fd (path, for messages) is a directory (want_dir) or a
 * regular file of the caller's that no one else may use: ORASK_HISTORY_UNSAFE
 * with the chmod that fixes it, if not. */
enum orask_history_status hist_check_fd(
    int fd, const char *path, int want_dir, char *msg, size_t size);

/* Create (with missing parents, mode 0700) and open the state directory
 * dir, checked; *out its descriptor. */
enum orask_history_status hist_open_dir(const char *dir, int *out, char *msg, size_t size);

/* Check file name in dfd if it exists (NOT_FOUND if not); create it with
 * mode 0600 first when create is set. */
enum orask_history_status hist_check_file(
    int dfd, const char *dir, const char *name, int create, char *msg, size_t size);

/* Read file name in dfd whole, after checking it; ORASK_HISTORY_NOT_FOUND
 * when it does not exist. *out is NUL-terminated; free() it. */
enum orask_history_status hist_read_file(
    int dfd, const char *name, const char *path, char **out, size_t *len, char *msg, size_t size);

int hist_write_all(int fd, const char *p, size_t n);

/* Read the open, checked fd whole (at most max bytes; path for messages). */
enum orask_history_status hist_read_fd(
    int fd, const char *path, size_t max, char **out, size_t *len, char *msg, size_t size);

/* history_pending.c: move the exchanges appended by plain questions into
 * the database, in one transaction, then empty the file. */
enum orask_history_status hist_drain_pending(struct orask_history *h, char *msg, size_t size);

/* An exchange's answer as received, with what is known of its cost. */
struct hist_answer {
	const char *text;                      /* NULL: not known (an older orask's log) */
	const char *served;                    /* the model that served it; NULL: unknown */
	long prompt_tokens, completion_tokens; /* -1: unknown */
	const double *cost;                    /* NULL: not known (yet) */
	const char *generation;                /* the generation id; NULL: none named */
	enum orask_outcome outcome;
};

/* history.c, for the drain: record as orask_history_record() does, with
 * the time given, inside the caller's transaction if in_transaction. */
enum orask_history_status hist_record_at(struct orask_history *h, struct orask_conversation *conv,
    const char *key, long long when, const char *question, const struct hist_answer *a,
    int in_transaction, char *msg, size_t size);

/* history_import.c: copy an older orask's conversations and log into h's
 * database (the caller holds a write transaction). */
enum orask_history_status hist_import_old(struct orask_history *h, char *msg, size_t size);

/* history.c, for the import: insert one exchange as it was. */
enum orask_history_status hist_insert(struct orask_history *h, const char *cid, const char *model,
    const char *system, long long time, const char *question, const struct hist_answer *a,
    char *msg, size_t size);

#endif
