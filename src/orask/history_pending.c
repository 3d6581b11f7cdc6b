/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * history_pending.c: the exchanges of plain questions, on their way into
 * the database.
 *
 * Opening SQLite costs a few milliseconds of CPU and, to be safe from
 * corruption, a few fsyncs: more than the rest of a short question. So a
 * question that starts a conversation appends its exchange, as one JSON
 * line, to pending.jsonl (mode 0600, in the checked state directory,
 * under an flock so that concurrent appends and a drain do not cross), and
 * whoever opens the database next moves the lines into it in one
 * transaction and empties the file. A line cut short by a crash is
 * skipped; a drain that fails leaves the file as it was.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sqlite3.h>

#include "common/util.h"
#include "orask/history_internal.h"
#include "orask/history_sqlite.h"

static struct json_object *
str_or_null(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

static int
lock(int fd)
{
	while (flock(fd, LOCK_EX) != 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* Open pending.jsonl in dfd (creating it when create), checked. */
static enum orask_history_status
open_pending(int dfd, const char *dir, int create, int *out, char *msg, size_t size)
{
	enum orask_history_status r;
	char *path = ora_xasprintf("%s/%s", dir, HIST_PENDING_FILE);
	int fd;

	*out = -1;
	fd = openat(dfd, HIST_PENDING_FILE,
	    (create ? O_WRONLY | O_APPEND | O_CREAT : O_RDWR) | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = errno == ENOENT && !create
		        ? ORASK_HISTORY_NOT_FOUND
		        : hist_say(msg, size,
		              errno == ELOOP ? ORASK_HISTORY_UNSAFE : ORASK_HISTORY_UNAVAILABLE,
		              "cannot open %s: %s", path, strerror(errno));
	} else if ((r = hist_check_fd(fd, path, 0, msg, size)) != ORASK_HISTORY_OK) {
		close(fd);
	} else {
		*out = fd;
	}
	free(path);
	return r;
}

enum orask_history_status
orask_history_append(const char *dir, const struct orask_conversation *conv, const char *key,
    const char *question, const char *answer, const struct ora_reply *reply,
    enum orask_outcome outcome, char *msg, size_t size)
{
	struct json_object *o = json_object_new_object();
	enum orask_history_status r;
	const char *text;
	char *line;
	int dfd, fd = -1;

	json_object_object_add(o, "cid", json_object_new_string(conv->id));
	json_object_object_add(o, "fresh", json_object_new_boolean(conv->fresh_id && conv->is_new));
	json_object_object_add(o, "model", str_or_null(conv->model));
	json_object_object_add(o, "system", str_or_null(conv->system));
	json_object_object_add(o, "terminal", str_or_null(key));
	json_object_object_add(o, "time", json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(o, "question", json_object_new_string(question));
	json_object_object_add(o, "answer", json_object_new_string(answer != NULL ? answer : ""));
	json_object_object_add(o, "outcome", json_object_new_int((int)outcome));
	if (reply != NULL) {
		json_object_object_add(o, "served", str_or_null(reply->model));
		json_object_object_add(
		    o, "prompt_tokens", json_object_new_int64(reply->usage.prompt_tokens));
		json_object_object_add(
		    o, "completion_tokens", json_object_new_int64(reply->usage.completion_tokens));
		if (reply->usage.has_cost)
			json_object_object_add(
			    o, "cost", json_object_new_double(reply->usage.cost));
		if (reply->id != NULL)
			json_object_object_add(o, "generation", json_object_new_string(reply->id));
	}
	text = json_object_to_json_string_ext(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	line = ora_xasprintf("%s\n", text);
	json_object_put(o);

	if ((r = hist_open_dir(dir, &dfd, msg, size)) != ORASK_HISTORY_OK) {
		free(line);
		return r;
	}
	if ((r = open_pending(dfd, dir, 1, &fd, msg, size)) == ORASK_HISTORY_OK) {
		/* One write under the lock: a drain never sees half a line
		 * unless the machine stopped in the middle of it. */
		if (lock(fd) != 0 || hist_write_all(fd, line, strlen(line)) != 0)
			r = hist_say(msg, size, ORASK_HISTORY_UNAVAILABLE, "cannot write %s/%s: %s",
			    dir, HIST_PENDING_FILE, strerror(errno));
		close(fd);
	}
	close(dfd);
	free(line);
	return r;
}

static const char *
str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static long long
int_of(struct json_object *o, const char *key, long long def)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return def;
	return (long long)json_object_get_int64(v);
}

/* One pending line into the database (the caller's transaction). A line
 * that is not an exchange (cut short by a crash) is skipped. */
static enum orask_history_status
drain_line(struct orask_history *h, const char *line, char *msg, size_t size)
{
	struct json_object *o = json_tokener_parse(line), *v;
	struct orask_conversation *conv = NULL;
	enum orask_history_status r = ORASK_HISTORY_OK;
	const char *cid, *question, *model, *system;
	struct hist_answer a;
	double cost = 0;
	int has_cost = 0;

	if (o == NULL || (cid = str_of(o, "cid")) == NULL || !orask_history_valid_id(cid) ||
	    (question = str_of(o, "question")) == NULL)
		goto out;
	if ((r = orask_history_start(h, cid, NULL, &conv, msg, size)) != ORASK_HISTORY_OK)
		goto out;
	conv->fresh_id = json_object_object_get_ex(o, "fresh", &v) && json_object_get_boolean(v);
	if ((model = str_of(o, "model")) != NULL) {
		free(conv->model);
		conv->model = ora_xstrdup(model);
	}
	if ((system = str_of(o, "system")) != NULL) {
		free(conv->system);
		conv->system = ora_xstrdup(system);
	}
	if (json_object_object_get_ex(o, "cost", &v) &&
	    (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int))) {
		cost = json_object_get_double(v);
		has_cost = 1;
	}
	a.text = str_of(o, "answer");
	a.served = str_of(o, "served");
	a.prompt_tokens = (long)int_of(o, "prompt_tokens", -1);
	a.completion_tokens = (long)int_of(o, "completion_tokens", -1);
	a.cost = has_cost ? &cost : NULL;
	a.generation = str_of(o, "generation");
	a.outcome = (enum orask_outcome)int_of(o, "outcome", ORASK_OUTCOME_COMPLETE);
	r = hist_record_at(h, conv, str_of(o, "terminal"), int_of(o, "time", (long long)time(NULL)),
	    question, &a, 1, msg, size);
out:
	orask_conversation_free(conv);
	json_object_put(o);
	return r;
}

enum orask_history_status
hist_drain_pending(struct orask_history *h, char *msg, size_t size)
{
	enum orask_history_status r;
	char *path, *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f = NULL;
	int fd, any = 0;

	if ((r = open_pending(h->dfd, h->dir, 0, &fd, msg, size)) != ORASK_HISTORY_OK)
		return r == ORASK_HISTORY_NOT_FOUND ? ORASK_HISTORY_OK : r;
	path = ora_xasprintf("%s/%s", h->dir, HIST_PENDING_FILE);
	if (lock(fd) != 0) {
		r = hist_say(msg, size, ORASK_HISTORY_UNAVAILABLE, "cannot lock %s: %s", path,
		    strerror(errno));
		goto out;
	}
	/* Line by line: however long the file has grown, one exchange at a
	 * time is in memory. */
	if ((f = fdopen(dup(fd), "r")) == NULL) {
		r = hist_say(msg, size, ORASK_HISTORY_UNAVAILABLE, "cannot read %s: %s", path,
		    strerror(errno));
		goto out;
	}
	while (r == ORASK_HISTORY_OK && (n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] != '\n')
			break; /* no newline: cut short by a crash */
		line[n - 1] = '\0';
		if (!any && sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
			r = hist_say(msg, size, ORASK_HISTORY_UNAVAILABLE, "%s/%s: %s", h->dir,
			    ORASK_HISTORY_DB, sqlite3_errmsg(h->db));
			goto out;
		}
		any = 1;
		r = drain_line(h, line, msg, size);
	}
	if (r == ORASK_HISTORY_OK && ferror(f))
		r = hist_say(msg, size, ORASK_HISTORY_UNAVAILABLE, "cannot read %s: %s", path,
		    strerror(errno));
	if (!any)
		goto out;
	if (r == ORASK_HISTORY_OK && sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		r = hist_say(msg, size, ORASK_HISTORY_UNAVAILABLE, "%s/%s: %s", h->dir,
		    ORASK_HISTORY_DB, sqlite3_errmsg(h->db));
	if (r != ORASK_HISTORY_OK) {
		sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
		goto out;
	}
	/* In the database now (committed): the file may go empty. */
	if (ftruncate(fd, 0) != 0)
		r = hist_say(msg, size, ORASK_HISTORY_UNAVAILABLE, "cannot empty %s: %s", path,
		    strerror(errno));
out:
	if (f != NULL)
		fclose(f);
	close(fd); /* and the lock with it */
	free(line);
	free(path);
	return r;
}
