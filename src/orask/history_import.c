/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * history_import.c: an older orask's history (conversations/ID.json and
 * log.jsonl, JSON files) copied into the database when it is created, so
 * that nobody loses a conversation to the upgrade. The old files stay
 * where they are; orask no longer reads or writes them.
 *
 * The old conversation files kept the last exchanges (question and answer)
 * without tokens or cost; the old log kept every exchange's time, tokens,
 * cost and the question's first line. The last log lines of a conversation
 * are matched to its last exchanges; log lines left over (exchanges the old
 * caps had dropped) are imported with their first line and no answer.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/util.h"
#include "orask/history_internal.h"

struct old_log {
	struct json_object **lines; /* parsed, in file order */
	size_t n;
	char *used; /* matched to a conversation's exchange */
};

static const char *
str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static long long
int_of(struct json_object *o, const char *key, long long def)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return def;
	return (long long)json_object_get_int64(v);
}

static int
cost_of(struct json_object *o, double *cost)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, "cost", &v) ||
	    !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
		return 0;
	*cost = json_object_get_double(v);
	return 1;
}

static void
old_log_read(struct orask_history *h, struct old_log *log)
{
	char *path = ora_xasprintf("%s/%s", h->dir, HIST_OLD_LOG_FILE), *text, *line, *save;
	size_t len, cap = 0;
	char msg[256];
	struct json_object *o;

	memset(log, 0, sizeof(*log));
	if (hist_read_file(h->dfd, HIST_OLD_LOG_FILE, path, &text, &len, msg, sizeof(msg)) !=
	    ORASK_HISTORY_OK) {
		free(path);
		return;
	}
	free(path);
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if ((o = json_tokener_parse(line)) == NULL || str_of(o, "cid") == NULL) {
			json_object_put(o);
			continue;
		}
		if (log->n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			log->lines = ora_xrealloc(log->lines, cap * sizeof(*log->lines));
		}
		log->lines[log->n++] = o;
	}
	free(text);
	log->used = ora_xcalloc(log->n + 1, 1);
}

static void
old_log_free(struct old_log *log)
{
	size_t i;

	for (i = 0; i < log->n; i++)
		json_object_put(log->lines[i]);
	free(log->lines);
	free(log->used);
}

/* The k-th last unused log line of conversation cid (k from 0), or -1. */
static long
log_match(struct old_log *log, const char *cid, size_t k)
{
	size_t i, seen = 0;

	for (i = log->n; i-- > 0;) {
		if (strcmp(str_of(log->lines[i], "cid"), cid) != 0)
			continue;
		if (seen++ == k)
			return (long)i;
	}
	return -1;
}

static enum orask_history_status
import_conversation(struct orask_history *h, int conv_dfd, const char *name, struct old_log *log,
    char *msg, size_t size)
{
	char cid[ORASK_CID_MAX + 1], *path, *text;
	struct json_object *root, *messages, *q, *a, *line;
	enum orask_history_status r = ORASK_HISTORY_OK;
	size_t len, n_pairs, i, namelen = strlen(name) - strlen(HIST_OLD_CONV_SUFFIX);
	long long updated;
	double cost;
	long at;

	if (namelen > ORASK_CID_MAX)
		return ORASK_HISTORY_OK;
	memcpy(cid, name, namelen);
	cid[namelen] = '\0';
	if (!orask_history_valid_id(cid))
		return ORASK_HISTORY_OK;
	path = ora_xasprintf("%s/%s/%s", h->dir, HIST_OLD_CONV_DIR, name);
	r = hist_read_file(conv_dfd, name, path, &text, &len, msg, size);
	free(path);
	if (r == ORASK_HISTORY_NOT_FOUND)
		return ORASK_HISTORY_OK;
	if (r != ORASK_HISTORY_OK)
		return r; /* unsafe: refused, as the old orask would have */
	root = json_tokener_parse(text);
	free(text);
	if (root == NULL || !json_object_object_get_ex(root, "messages", &messages) ||
	    !json_object_is_type(messages, json_type_array)) {
		json_object_put(root);
		return ORASK_HISTORY_OK; /* damaged: nothing to keep */
	}
	updated = int_of(root, "updated", (long long)time(NULL));
	n_pairs = json_object_array_length(messages) / 2;
	for (i = 0; i < n_pairs && r == ORASK_HISTORY_OK; i++) {
		q = json_object_array_get_idx(messages, 2 * i);
		a = json_object_array_get_idx(messages, 2 * i + 1);
		if (str_of(q, "content") == NULL || str_of(a, "content") == NULL)
			continue;
		at = log_match(log, cid, n_pairs - 1 - i);
		line = at >= 0 ? log->lines[at] : NULL;
		if (at >= 0)
			log->used[at] = 1;
		struct hist_answer ans = {
		    .text = str_of(a, "content"),
		    .served = str_of(line, "model"),
		    .prompt_tokens = (long)int_of(line, "prompt_tokens", -1),
		    .completion_tokens = (long)int_of(line, "completion_tokens", -1),
		    .cost = line != NULL && cost_of(line, &cost) ? &cost : NULL,
		    .outcome = ORASK_OUTCOME_COMPLETE,
		};

		r = hist_insert(h, cid, str_of(root, "model"), str_of(root, "system"),
		    line != NULL ? int_of(line, "time", updated) : updated, str_of(q, "content"),
		    &ans, msg, size);
	}
	json_object_put(root);
	return r;
}

enum orask_history_status
hist_import_old(struct orask_history *h, char *msg, size_t size)
{
	enum orask_history_status r = ORASK_HISTORY_OK;
	struct old_log log;
	struct dirent *d;
	DIR *dir = NULL;
	double cost;
	size_t i, len;
	int conv_dfd;

	old_log_read(h, &log);
	conv_dfd =
	    openat(h->dfd, HIST_OLD_CONV_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (conv_dfd >= 0) {
		char *path = ora_xasprintf("%s/%s", h->dir, HIST_OLD_CONV_DIR);

		r = hist_check_fd(conv_dfd, path, 1, msg, size);
		free(path);
		if (r == ORASK_HISTORY_OK) {
			int fd = dup(conv_dfd);

			if (fd >= 0 && (dir = fdopendir(fd)) == NULL)
				close(fd);
		}
	}
	while (r == ORASK_HISTORY_OK && dir != NULL && (d = readdir(dir)) != NULL) {
		len = strlen(d->d_name);
		if (d->d_name[0] == '.' || len <= strlen(HIST_OLD_CONV_SUFFIX) ||
		    strcmp(d->d_name + len - strlen(HIST_OLD_CONV_SUFFIX), HIST_OLD_CONV_SUFFIX) !=
		        0)
			continue;
		r = import_conversation(h, conv_dfd, d->d_name, &log, msg, size);
	}
	/* Exchanges whose conversation the old caps dropped: the log line. */
	for (i = 0; r == ORASK_HISTORY_OK && i < log.n; i++) {
		struct json_object *l = log.lines[i];

		if (log.used[i] || !orask_history_valid_id(str_of(l, "cid")))
			continue;
		struct hist_answer ans = {
		    .served = str_of(l, "model"),
		    .prompt_tokens = (long)int_of(l, "prompt_tokens", -1),
		    .completion_tokens = (long)int_of(l, "completion_tokens", -1),
		    .cost = cost_of(l, &cost) ? &cost : NULL,
		    .outcome = ORASK_OUTCOME_COMPLETE,
		};

		r = hist_insert(h, str_of(l, "cid"), NULL, NULL, int_of(l, "time", 0),
		    str_of(l, "question") != NULL ? str_of(l, "question") : "", &ans, msg, size);
	}
	if (dir != NULL)
		closedir(dir);
	if (conv_dfd >= 0)
		close(conv_dfd);
	old_log_free(&log);
	return r;
}
