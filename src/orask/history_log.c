/*
 * history_log.c: orask's log of exchanges (log.jsonl), one JSON object a
 * line, appended to under the history's lock and cut to its newer half
 * past ORASK_LOG_MAX_BYTES.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/util.h"
#include "orask/history_internal.h"

/* The question's first line, at most ORASK_LOG_QUESTION_MAX bytes, not cut
 * inside a UTF-8 character. */
static void
first_line(const char *question, char *out, size_t size)
{
	size_t n = strcspn(question, "\n"), i;

	if (n >= size)
		n = size - 1;
	while (n > 0 && n < strlen(question) && ((unsigned char)question[n] & 0xc0) == 0x80)
		n--;
	memcpy(out, question, n);
	out[n] = '\0';
	for (i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = ' ';
}

/* Keep the newer half of the log once it has grown past its cap. */
static enum orask_history_status
log_rotate(struct orask_history *h, const char *path, char *msg, size_t size)
{
	enum orask_history_status r;
	char *text, *keep;
	size_t len;

	if ((r = hist_read_file(h->dfd, HIST_LOG_FILE, path, &text, &len, msg, size)) !=
	    ORASK_HISTORY_OK)
		return r == ORASK_HISTORY_NOT_FOUND ? ORASK_HISTORY_OK : r;
	keep = memchr(text + len / 2, '\n', len - len / 2);
	keep = keep != NULL ? keep + 1 : text + len;
	r = hist_write_file(
	    h->dfd, HIST_LOG_FILE, path, keep, len - (size_t)(keep - text), 0, msg, size);
	free(text);
	return r;
}

enum orask_history_status
hist_log_append(struct orask_history *h, const struct orask_conversation *conv,
    const char *question, const struct ora_reply *reply, char *msg, size_t size)
{
	struct json_object *o = json_object_new_object();
	char first[ORASK_LOG_QUESTION_MAX + 1], *path, *line, cost[64];
	enum orask_history_status r;
	struct stat st;
	int fd;

	first_line(question, first, sizeof(first));
	json_object_object_add(o, "time", json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(o, "cid", json_object_new_string(conv->id));
	json_object_object_add(o, "model", hist_json_string_or_null(reply->model));
	json_object_object_add(
	    o, "prompt_tokens", json_object_new_int64(reply->usage.prompt_tokens));
	json_object_object_add(
	    o, "completion_tokens", json_object_new_int64(reply->usage.completion_tokens));
	snprintf(cost, sizeof(cost), "%.12g", reply->usage.cost);
	json_object_object_add(o, "cost",
	    reply->usage.has_cost ? json_object_new_double_s(reply->usage.cost, cost) : NULL);
	json_object_object_add(o, "question", json_object_new_string(first));
	line = ora_xasprintf("%s\n", hist_json_text(o));
	json_object_put(o);

	path = ora_xasprintf("%s/%s", h->dir, HIST_LOG_FILE);
	fd = openat(
	    h->dfd, HIST_LOG_FILE, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = hist_say(msg, size,
		    errno == ELOOP ? ORASK_HISTORY_UNSAFE : ORASK_HISTORY_UNAVAILABLE,
		    "cannot open %s: %s", path, strerror(errno));
	} else if ((r = hist_check_fd(fd, path, 0, msg, size)) == ORASK_HISTORY_OK) {
		if (hist_write_all(fd, line, strlen(line)) != 0)
			r = hist_say(msg, size, ORASK_HISTORY_UNAVAILABLE, "cannot write %s: %s",
			    path, strerror(errno));
		else if (fstat(fd, &st) == 0 && (size_t)st.st_size > ORASK_LOG_MAX_BYTES)
			r = log_rotate(h, path, msg, size);
	}
	if (fd >= 0)
		close(fd);
	free(path);
	free(line);
	return r;
}

static int
parse_log_line(const char *line, struct orask_log_entry *e)
{
	struct json_object *o = json_tokener_parse(line), *v;
	const char *s;

	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -1;
	}
	memset(e, 0, sizeof(*e));
	e->time = hist_json_int(o, "time", 0);
	snprintf(e->cid, sizeof(e->cid), "%s", (s = hist_json_str(o, "cid")) != NULL ? s : "-");
	snprintf(
	    e->model, sizeof(e->model), "%s", (s = hist_json_str(o, "model")) != NULL ? s : "-");
	e->prompt_tokens = (long)hist_json_int(o, "prompt_tokens", -1);
	e->completion_tokens = (long)hist_json_int(o, "completion_tokens", -1);
	if (json_object_object_get_ex(o, "cost", &v) &&
	    (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int))) {
		e->cost = json_object_get_double(v);
		e->has_cost = 1;
	}
	snprintf(e->question, sizeof(e->question), "%s",
	    (s = hist_json_str(o, "question")) != NULL ? s : "");
	json_object_put(o);
	return 0;
}

enum orask_history_status
orask_history_log(struct orask_history *h, size_t max, struct orask_log_entry **out, size_t *n,
    char *msg, size_t size)
{
	enum orask_history_status r;
	char *path = ora_xasprintf("%s/%s", h->dir, HIST_LOG_FILE), *text, *p, *start;
	size_t len, lines = 0, i = 0;

	*out = NULL;
	*n = 0;
	r = hist_read_file(h->dfd, HIST_LOG_FILE, path, &text, &len, msg, size);
	free(path);
	if (r == ORASK_HISTORY_NOT_FOUND)
		return ORASK_HISTORY_OK;
	if (r != ORASK_HISTORY_OK || max == 0) {
		free(text);
		return r;
	}
	/* Back from the end to the start of the max-th last line. */
	p = text + len;
	if (p > text && p[-1] == '\n')
		p--;
	for (; p > text; p--)
		if (p[-1] == '\n' && ++lines == max)
			break;
	*out = ora_xcalloc(lines + 1, sizeof(**out));
	for (start = p; *start != '\0' && i <= lines; start = p) {
		p = strchr(start, '\n');
		if (p != NULL)
			*p++ = '\0';
		else
			p = start + strlen(start);
		if (*start != '\0' && parse_log_line(start, &(*out)[i]) == 0)
			i++;
	}
	*n = i;
	free(text);
	return ORASK_HISTORY_OK;
}
