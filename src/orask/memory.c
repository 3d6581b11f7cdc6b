/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * memory.c: where a question's exchange is remembered.
 *
 * A new conversation needs nothing from the database: only the directory
 * is checked (an unsafe history stops orask before anything is sent), and
 * the exchange is appended to the pending file after the answer, so the
 * wait a person sees is the request's alone. -c and --cid open the
 * database first, since the earlier exchanges go with the question.
 *
 * Without a home (or a state directory that cannot be created) there is no
 * history: a note says so after an answer, at most once a day, remembered
 * in $XDG_RUNTIME_DIR; never before a refusal, which would bury it.
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

#include "common/util.h"
#include "orask/orask.h"

#define NOTE_EVERY_S 86400 /* the no-history note, at most this often */
#define NOTE_STAMP "orask-no-history"

int
orask_memory_prepare(const struct orask_options *o, struct orask_memory *mem)
{
	enum orask_history_status r;
	int needed = o->cont || o->cid != NULL || o->chat;
	char msg[1024];

	if (orask_history_terminal_key(mem->terminal, sizeof(mem->terminal)) == 0)
		mem->has_terminal = 1;
	if ((mem->dir = orask_history_default_dir()) == NULL) {
		if (needed) {
			orask_warn(
			    "no home directory to keep conversations in: set XDG_STATE_HOME");
			return ORASK_EXIT_FAIL;
		}
		snprintf(mem->unavailable, sizeof(mem->unavailable),
		    "no home directory, so no history (set XDG_STATE_HOME to keep one)");
		goto fresh;
	}
	if (needed)
		r = orask_history_open(mem->dir, &mem->history, msg, sizeof(msg));
	else
		r = orask_history_check(mem->dir, msg, sizeof(msg));
	if (r == ORASK_HISTORY_UNAVAILABLE && !needed) {
		snprintf(mem->unavailable, sizeof(mem->unavailable),
		    "%.900s; answers are not remembered", msg);
		free(mem->dir);
		mem->dir = NULL;
		goto fresh;
	}
	if (r != ORASK_HISTORY_OK) {
		orask_warn("%s", msg);
		return ORASK_EXIT_FAIL;
	}
	if (!needed)
		goto fresh;
	r = orask_history_start(mem->history, o->cid,
	    o->cont && mem->has_terminal ? mem->terminal : NULL, &mem->conv, msg, sizeof(msg));
	if (r == ORASK_HISTORY_NOT_FOUND) {
		orask_warn("%s", msg);
		r = ORASK_HISTORY_OK;
	}
	if (r != ORASK_HISTORY_OK) {
		orask_warn("%s", msg);
		return ORASK_EXIT_FAIL;
	}
	return 0;
fresh:
	(void)orask_history_start(NULL, NULL, NULL, &mem->conv, msg, sizeof(msg));
	return 0;
}

/* Whether the no-history note is due, and if so remember that it is said
 * now. Without a runtime directory there is nowhere to remember it: then
 * it is never said (`orask log` explains). */
static int
note_due(void)
{
	const char *run = getenv("XDG_RUNTIME_DIR");
	struct timespec now[2];
	struct stat st;
	char *path;
	int fd, due = 0;

	if (run == NULL || run[0] != '/')
		return 0;
	path = ora_xasprintf("%s/%s", run, NOTE_STAMP);
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	free(path);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0 && st.st_uid == getuid() &&
	    (st.st_size == 0 || st.st_mtime <= time(NULL) - NOTE_EVERY_S)) {
		due = 1;
		clock_gettime(CLOCK_REALTIME, &now[0]);
		now[1] = now[0];
		/* A non-empty stamp has been said once: its mtime says when. */
		if (st.st_size == 0)
			due = write(fd, "\n", 1) == 1;
		futimens(fd, now);
	}
	close(fd);
	return due;
}

void
orask_memory_record(struct orask_memory *mem, const struct orask_options *o, const char *question,
    const char *answer, const struct ora_reply *reply, enum orask_outcome outcome)
{
	struct orask_conversation *conv = mem->conv;
	enum orask_history_status r;
	char msg[1024];

	if (conv == NULL)
		return;
	if (mem->dir == NULL) {
		if (outcome == ORASK_OUTCOME_COMPLETE && mem->unavailable[0] != '\0' && note_due())
			orask_warn("%s (said once a day)", mem->unavailable);
		return;
	}
	if (o->model != NULL) {
		free(conv->model);
		conv->model = ora_xstrdup(o->model);
	}
	if (o->system != NULL) {
		free(conv->system);
		conv->system = ora_xstrdup(o->system);
	}
	/* A new conversation: appended, for the next orask that opens the
	 * database (history_pending.c); one already open: recorded. */
	if (mem->history == NULL)
		r = orask_history_append(mem->dir, conv, mem->has_terminal ? mem->terminal : NULL,
		    question, answer != NULL ? answer : "", reply, outcome, msg, sizeof(msg));
	else
		r = orask_history_record(mem->history, conv,
		    mem->has_terminal ? mem->terminal : NULL, question,
		    answer != NULL ? answer : "", reply, outcome, msg, sizeof(msg));
	if (r != ORASK_HISTORY_OK)
		orask_warn("the answer was not remembered: %s", msg);
	else if (mem->history != NULL && (o->keep_days > 0 || o->keep_conversations > 0) &&
	         orask_history_retain(mem->history, o->keep_days, o->keep_conversations, msg,
	             sizeof(msg)) != ORASK_HISTORY_OK)
		orask_warn("old conversations were not removed: %s", msg);
}

void
orask_memory_close(struct orask_memory *mem)
{
	orask_conversation_free(mem->conv);
	orask_history_close(mem->history);
	free(mem->dir);
	memset(mem, 0, sizeof(*mem));
}
