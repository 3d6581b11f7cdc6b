/*
 * history_internal.h: what the parts of orask's history share (history.c,
 * history_files.c, history_log.c); the callers' contract is history.h.
 */
#ifndef ORA_ORASK_HISTORY_INTERNAL_H
#define ORA_ORASK_HISTORY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "orask/history.h"

#define HIST_CONV_DIR "conversations"
#define HIST_CONV_SUFFIX ".json"
#define HIST_TERMINALS_FILE "terminals.json"
#define HIST_LOG_FILE "log.jsonl"
/* The largest history file read back: a conversation at its cap plus one
 * exchange of the largest question and a long answer. Larger is damage. */
#define HIST_FILE_READ_MAX (32u * 1024 * 1024)

struct orask_history {
	char *dir;    /* for messages */
	int dfd;      /* the state directory */
	int conv_dfd; /* its conversations/ */
};

/* Write a sentence to msg; returns status. */
enum orask_history_status hist_say(char *msg, size_t size, enum orask_history_status status,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Whether the open fd (path, for messages) is a directory (want_dir) or a
 * regular file of the caller's that no one else may use: ORASK_HISTORY_UNSAFE
 * with the chmod that fixes it, if not. */
enum orask_history_status hist_check_fd(
    int fd, const char *path, int want_dir, char *msg, size_t size);

/* Read file name in dfd whole, after checking it; ORASK_HISTORY_NOT_FOUND
 * when it does not exist. *out is NUL-terminated; free() it. */
enum orask_history_status hist_read_file(
    int dfd, const char *name, const char *path, char **out, size_t *len, char *msg, size_t size);

/* Write data to file name in dfd: replacing it through a temporary file
 * and a rename, or in_place (a new file, or one only read under the lock). */
enum orask_history_status hist_write_file(int dfd, const char *name, const char *path,
    const char *data, size_t len, int in_place, char *msg, size_t size);

int hist_write_all(int fd, const char *p, size_t n);

/* JSON: a string member or NULL; an integer member or def; a string or
 * JSON null; the compact text of o (owned by o). */
const char *hist_json_str(struct json_object *o, const char *key);
int64_t hist_json_int(struct json_object *o, const char *key, int64_t def);
struct json_object *hist_json_string_or_null(const char *s);
const char *hist_json_text(struct json_object *o);

/* history_log.c: append one exchange to the log (the caller holds the
 * lock), and cut the log when it has grown past its cap. */
enum orask_history_status hist_log_append(struct orask_history *h,
    const struct orask_conversation *conv, const char *question, const struct ora_reply *reply,
    char *msg, size_t size);

#endif
