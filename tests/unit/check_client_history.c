/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_client_history.c: orask's conversations (src/orask/history*.c, in
 * SQLite) on a real file system: the modes of what is created whatever the
 * umask, refusal of a history others may read or that is not the caller's,
 * continuation per terminal, no silent caps (retention only as asked),
 * interrupted exchanges kept but not sent again, full-text search, show
 * and rm, the import of an older orask's JSON files, and two writers.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "orask/history.h"

static char base[64];
static char dir[128];
static char msg[1024];

static void
setup(void)
{
	snprintf(base, sizeof(base), "/tmp/ora-hist-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
	/* Parents that do not exist yet, as ~/.local/state on a new account. */
	snprintf(dir, sizeof(dir), "%s/home/.local/state/ora", base);
	msg[0] = '\0';
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	ck_assert_int_eq(system(cmd), 0);
}

/* The mode of dir/rel. */
static mode_t
mode_of(const char *rel)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	ck_assert_msg(lstat(path, &st) == 0, "%s: %s", path, strerror(errno));
	return st.st_mode & 07777;
}

static struct orask_history *
open_ok(void)
{
	struct orask_history *h;

	ck_assert_msg(orask_history_open(dir, &h, msg, sizeof(msg)) == ORASK_HISTORY_OK, "%s", msg);
	return h;
}

static struct ora_reply *
reply_of(const char *model, long prompt, long completion, double cost)
{
	static struct ora_reply r;
	static char m[64];

	snprintf(m, sizeof(m), "%s", model);
	memset(&r, 0, sizeof(r));
	r.model = m;
	r.usage.prompt_tokens = prompt;
	r.usage.completion_tokens = completion;
	r.usage.total_tokens = prompt + completion;
	r.usage.cost = cost;
	r.usage.has_cost = cost >= 0;
	return &r;
}

/* Record question/answer in conversation id (NULL: a fresh one) as terminal
 * key; returns the conversation's id in out. */
static void
record(struct orask_history *h, const char *id, const char *key, const char *q, const char *a,
    char *out)
{
	struct orask_conversation *conv;
	enum orask_history_status r;

	r = orask_history_start(h, id, NULL, &conv, msg, sizeof(msg));
	ck_assert_msg(r == ORASK_HISTORY_OK, "%s", msg);
	ck_assert_msg(orask_history_record(h, conv, key, q, a, reply_of("m/x", 3, 4, 0.5),
	                  ORASK_OUTCOME_COMPLETE, msg, sizeof(msg)) == ORASK_HISTORY_OK,
	    "%s", msg);
	if (out != NULL)
		strcpy(out, conv->id);
	orask_conversation_free(conv);
}

START_TEST(history_modes_whatever_the_umask)
{
	struct orask_history *h;
	mode_t old = umask(0);
	char id[ORASK_CID_MAX + 1];

	h = open_ok();
	record(h, NULL, "t1", "hello", "hi there", id);
	umask(old);
	ck_assert_uint_eq(mode_of(""), 0700);
	ck_assert_uint_eq(mode_of("history.db"), 0600);
	ck_assert_uint_eq(mode_of("history.db-wal"), 0600);
	ck_assert_uint_eq(mode_of("history.db-shm"), 0600);
	/* The parents it had to create are private too (XDG asks for 0700). */
	ck_assert_uint_eq(mode_of(".."), 0700);
	orask_history_close(h);
}
END_TEST

START_TEST(history_refuses_what_others_may_read)
{
	struct orask_history *h;
	char path[512], want[600];

	h = open_ok();
	record(h, NULL, "t1", "secret question", "secret answer", NULL);
	orask_history_close(h);

	/* The directory: refused by the cheap check before a question too. */
	ck_assert_int_eq(chmod(dir, 0750), 0);
	ck_assert_int_eq(orask_history_open(dir, &h, msg, sizeof(msg)), ORASK_HISTORY_UNSAFE);
	ck_assert_ptr_null(h);
	snprintf(want, sizeof(want), "run: chmod 700 '%s'", dir);
	ck_assert_msg(strstr(msg, want) != NULL, "%s", msg);
	ck_assert_msg(strstr(msg, "mode 0750") != NULL, "%s", msg);
	ck_assert_int_eq(orask_history_check(dir, msg, sizeof(msg)), ORASK_HISTORY_UNSAFE);
	ck_assert_int_eq(chmod(dir, 0700), 0);

	/* The database, and the write-ahead log beside it. */
	snprintf(path, sizeof(path), "%s/history.db", dir);
	ck_assert_int_eq(chmod(path, 0604), 0);
	ck_assert_int_eq(orask_history_open(dir, &h, msg, sizeof(msg)), ORASK_HISTORY_UNSAFE);
	snprintf(want, sizeof(want), "run: chmod 600 '%s'", path);
	ck_assert_msg(strstr(msg, want) != NULL, "%s", msg);
	ck_assert_int_eq(orask_history_check(dir, msg, sizeof(msg)), ORASK_HISTORY_UNSAFE);
	ck_assert_int_eq(chmod(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/history.db-wal", dir);
	ck_assert_int_eq(close(open(path, O_CREAT | O_WRONLY, 0600)), 0);
	ck_assert_int_eq(chmod(path, 0640), 0);
	ck_assert_int_eq(orask_history_open(dir, &h, msg, sizeof(msg)), ORASK_HISTORY_UNSAFE);
	ck_assert_int_eq(chmod(path, 0600), 0);
	h = open_ok();
	orask_history_close(h);
}
END_TEST

/* No silent caps: every exchange of a long conversation is kept and sent
 * again, however many; only the retention asked for removes any. */
START_TEST(history_keeps_everything_unless_told)
{
	struct orask_history *h = open_ok();
	struct orask_conversation *conv;
	struct orask_exchanges x;
	char q[32];
	int i;

	for (i = 1; i <= 150; i++) {
		snprintf(q, sizeof(q), "question %d", i);
		record(h, "long", NULL, q, "answer", NULL);
	}
	for (i = 0; i < 120; i++)
		record(h, NULL, NULL, "q", "a", NULL);
	ck_assert_int_eq(
	    orask_history_start(h, "long", NULL, &conv, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_uint_eq(conv->n_messages, 300);
	ck_assert_str_eq(conv->messages[0].content, "question 1");
	orask_conversation_free(conv);
	ck_assert_int_eq(
	    orask_history_log(h, 100000, NULL, NULL, &x, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_uint_eq(x.n, 270);
	orask_exchanges_free(&x);

	/* Retention by count: the most recently updated stay. */
	ck_assert_int_eq(orask_history_retain(h, 0, 10, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_int_eq(
	    orask_history_log(h, 100000, NULL, NULL, &x, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_uint_le(x.n, 10 + 150);
	ck_assert_uint_ge(x.n, 10);
	orask_exchanges_free(&x);
	/* By age: nothing here is a day old. */
	ck_assert_int_eq(orask_history_retain(h, 1, 0, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_int_eq(
	    orask_history_log(h, 100000, NULL, NULL, &x, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_uint_ge(x.n, 10);
	orask_exchanges_free(&x);
	orask_history_close(h);
}
END_TEST

START_TEST(history_interrupted_kept_not_resent)
{
	struct orask_history *h = open_ok();
	struct orask_conversation *conv;
	struct orask_exchanges x;

	record(h, "c", NULL, "first", "whole answer", NULL);
	ck_assert_int_eq(
	    orask_history_start(h, "c", NULL, &conv, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_int_eq(orask_history_record(h, conv, NULL, "second", "half an ans", NULL,
	                     ORASK_OUTCOME_INTERRUPTED, msg, sizeof(msg)),
	    ORASK_HISTORY_OK);
	ck_assert_uint_eq(conv->n_messages, 2); /* not part of what goes on */
	orask_conversation_free(conv);
	ck_assert_int_eq(
	    orask_history_start(h, "c", NULL, &conv, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_uint_eq(conv->n_messages, 2);
	orask_conversation_free(conv);
	ck_assert_int_eq(orask_history_show(h, "c", &x, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_uint_eq(x.n, 2);
	ck_assert_int_eq(x.items[1].outcome, ORASK_OUTCOME_INTERRUPTED);
	ck_assert_str_eq(x.items[1].answer, "half an ans");
	ck_assert(!x.items[1].has_cost);
	ck_assert_int_eq(x.items[1].prompt_tokens, -1);
	orask_exchanges_free(&x);
	orask_history_close(h);
}
END_TEST

/* An interrupted exchange keeps its generation id, through the pending
 * file too; its cost is filled in once learned, and only then; a history
 * an older orask made (schema 1) gains the column. */
START_TEST(history_cost_learned_later)
{
	struct orask_history *h = open_ok();
	struct orask_conversation *conv;
	struct orask_exchanges x;
	struct ora_reply partial = {0};
	char path[512], cid[ORASK_CID_MAX + 1];
	sqlite3 *db;

	/* Back to what the previous version made. */
	orask_history_close(h);
	snprintf(path, sizeof(path), "%s/history.db", dir);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db,
	                     "ALTER TABLE exchanges DROP COLUMN generation; PRAGMA user_version=1;",
	                     NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	partial.id = "gen-cut";
	partial.usage.prompt_tokens = partial.usage.completion_tokens = -1;
	ck_assert_int_eq(
	    orask_history_start(NULL, NULL, NULL, &conv, msg, sizeof(msg)), ORASK_HISTORY_OK);
	snprintf(cid, sizeof(cid), "%s", conv->id);
	ck_assert_int_eq(orask_history_append(dir, conv, NULL, "q", "half", &partial,
	                     ORASK_OUTCOME_INTERRUPTED, msg, sizeof(msg)),
	    ORASK_HISTORY_OK);
	orask_conversation_free(conv);
	h = open_ok();
	ck_assert_int_eq(orask_history_show(h, cid, &x, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_uint_eq(x.n, 1);
	ck_assert_str_eq(x.items[0].generation, "gen-cut");
	ck_assert_str_eq(x.items[0].answer, "half");
	ck_assert(orask_exchange_cost_pending(&x.items[0]));
	ck_assert_int_eq(orask_history_set_cost(h, x.items[0].seq, "m/served", 7, 2, 0.0000125,
	                     &x.items[0], msg, sizeof(msg)),
	    ORASK_HISTORY_OK);
	ck_assert(!orask_exchange_cost_pending(&x.items[0]));
	ck_assert_str_eq(x.items[0].model, "m/served");
	orask_exchanges_free(&x);
	orask_history_close(h);

	h = open_ok();
	ck_assert_int_eq(orask_history_show(h, cid, &x, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert(x.items[0].has_cost && x.items[0].cost == 0.0000125);
	ck_assert_int_eq(x.items[0].prompt_tokens, 7);
	ck_assert_int_eq(x.items[0].completion_tokens, 2);
	ck_assert_str_eq(x.items[0].model, "m/served");
	/* Once known it stays: a second answer does not overwrite it. */
	ck_assert_int_eq(orask_history_set_cost(h, x.items[0].seq, NULL, -1, -1, 9.0, NULL, msg,
	                     sizeof(msg)),
	    ORASK_HISTORY_OK);
	orask_exchanges_free(&x);
	ck_assert_int_eq(orask_history_show(h, cid, &x, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert(x.items[0].cost == 0.0000125);
	orask_exchanges_free(&x);
	orask_history_close(h);
}
END_TEST

START_TEST(history_log_search_show_rm)
{
	struct orask_history *h = open_ok();
	struct orask_exchanges x;
	size_t n;

	record(h, "mail", NULL, "What does RFC 5322 say about headers?", "Header fields...", NULL);
	record(h, "mail", NULL, "And rfc-822?", "It is older.", NULL);
	record(h, "food", NULL, "A recipe with \"quotes\" AND or NOT", "Bake the quiche.", NULL);

	/* The last N, oldest first; then one conversation's. */
	ck_assert_int_eq(
	    orask_history_log(h, 2, NULL, NULL, &x, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_uint_eq(x.n, 2);
	ck_assert_str_eq(x.items[0].question, "And rfc-822?");
	ck_assert_str_eq(x.items[1].cid, "food");
	ck_assert_str_eq(x.items[1].model, "m/x");
	ck_assert_int_eq(x.items[1].prompt_tokens, 3);
	ck_assert(x.items[1].has_cost && x.items[1].cost == 0.5);
	orask_exchanges_free(&x);
	ck_assert_int_eq(
	    orask_history_log(h, 20, "mail", NULL, &x, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_uint_eq(x.n, 2);
	orask_exchanges_free(&x);

	/* Full text, in questions and answers, whatever the words hold. */
	ck_assert_int_eq(
	    orask_history_log(h, 20, NULL, "rfc", &x, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_uint_eq(x.n, 2);
	orask_exchanges_free(&x);
	ck_assert_int_eq(
	    orask_history_log(h, 20, NULL, "quiche", &x, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_uint_eq(x.n, 1);
	ck_assert_str_eq(x.items[0].cid, "food");
	orask_exchanges_free(&x);
	ck_assert_int_eq(
	    orask_history_log(h, 20, NULL, "rfc-822", &x, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_uint_eq(x.n, 1);
	orask_exchanges_free(&x);
	ck_assert_int_eq(orask_history_log(h, 20, NULL, "\"quotes\" AND", &x, msg, sizeof(msg)),
	    ORASK_HISTORY_OK);
	ck_assert_uint_eq(x.n, 1);
	orask_exchanges_free(&x);
	ck_assert_int_eq(
	    orask_history_log(h, 20, "food", "rfc", &x, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_uint_eq(x.n, 0);
	orask_exchanges_free(&x);

	ck_assert_int_eq(orask_history_show(h, "mail", &x, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_uint_eq(x.n, 2);
	ck_assert_str_eq(x.items[1].answer, "It is older.");
	orask_exchanges_free(&x);
	ck_assert_int_eq(
	    orask_history_show(h, "nope", &x, msg, sizeof(msg)), ORASK_HISTORY_NOT_FOUND);

	ck_assert_int_eq(orask_history_rm(h, "mail", &n, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(
	    orask_history_rm(h, "mail", &n, msg, sizeof(msg)), ORASK_HISTORY_NOT_FOUND);
	ck_assert_int_eq(
	    orask_history_show(h, "mail", &x, msg, sizeof(msg)), ORASK_HISTORY_NOT_FOUND);
	ck_assert_int_eq(
	    orask_history_log(h, 20, NULL, "rfc", &x, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_uint_eq(x.n, 0); /* gone from the index too */
	orask_exchanges_free(&x);
	orask_history_close(h);
}
END_TEST

/* A plain question's exchange waits in pending.jsonl, without the
 * database, until the next opening moves it there. */
START_TEST(history_pending_exchanges_drained)
{
	struct orask_history *h;
	struct orask_conversation *conv;
	struct orask_exchanges x;
	FILE *f;
	char path[512];

	ck_assert_int_eq(
	    orask_history_start(NULL, NULL, NULL, &conv, msg, sizeof(msg)), ORASK_HISTORY_OK);
	conv->model = strdup("m/picked");
	ck_assert_msg(orask_history_append(dir, conv, "tty-p", "pending question", "pending answer",
	                  reply_of("m/served", 2, 3, 0.25), ORASK_OUTCOME_COMPLETE, msg,
	                  sizeof(msg)) == ORASK_HISTORY_OK,
	    "%s", msg);
	ck_assert_int_eq(orask_history_append(dir, conv, NULL, "cut off", "so fa", NULL,
	                     ORASK_OUTCOME_INTERRUPTED, msg, sizeof(msg)),
	    ORASK_HISTORY_OK);
	ck_assert_uint_eq(mode_of("pending.jsonl"), 0600);
	ck_assert_int_ne(access(strcat(strcpy(path, dir), "/history.db"), F_OK), 0);
	/* A line a crash cut short. */
	snprintf(path, sizeof(path), "%s/pending.jsonl", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "a"));
	fputs("{\"cid\":\"torn\",\"quest", f);
	fclose(f);

	h = open_ok();
	ck_assert_int_eq(orask_history_show(h, conv->id, &x, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_str_eq(x.model, "m/picked");
	ck_assert_uint_eq(x.n, 2);
	ck_assert_str_eq(x.items[0].answer, "pending answer");
	ck_assert_str_eq(x.items[0].model, "m/served");
	ck_assert(x.items[0].has_cost && x.items[0].cost == 0.25);
	ck_assert_int_eq(x.items[1].outcome, ORASK_OUTCOME_INTERRUPTED);
	orask_exchanges_free(&x);
	ck_assert_int_eq(
	    orask_history_show(h, "torn", &x, msg, sizeof(msg)), ORASK_HISTORY_NOT_FOUND);
	orask_conversation_free(conv);
	/* -c in that terminal finds it. */
	ck_assert_int_eq(
	    orask_history_start(h, NULL, "tty-p", &conv, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_uint_eq(conv->n_messages, 2);
	orask_conversation_free(conv);
	orask_history_close(h);
	/* Drained once: the file is empty, and a second opening adds nothing. */
	ck_assert_uint_eq(mode_of("pending.jsonl"), 0600);
	h = open_ok();
	ck_assert_int_eq(
	    orask_history_log(h, 100, NULL, NULL, &x, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_uint_eq(x.n, 2);
	orask_exchanges_free(&x);
	orask_history_close(h);
	/* Open to others: refused like the rest. */
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(orask_history_open(dir, &h, msg, sizeof(msg)), ORASK_HISTORY_UNSAFE);
	ck_assert_int_eq(
	    orask_history_start(NULL, NULL, NULL, &conv, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_int_eq(orask_history_append(dir, conv, NULL, "q", "a", NULL,
	                     ORASK_OUTCOME_COMPLETE, msg, sizeof(msg)),
	    ORASK_HISTORY_UNSAFE);
	orask_conversation_free(conv);
}
END_TEST

static void
write_file(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, 0600), 0);
}

/* An older orask's files: conversations/ID.json (the last exchanges) and
 * log.jsonl (every exchange's numbers and first line). */
START_TEST(history_imports_the_old_files)
{
	struct orask_history *h;
	struct orask_conversation *conv;
	struct orask_exchanges x;
	char path[512];

	ck_assert_int_eq(orask_history_check(dir, msg, sizeof(msg)), ORASK_HISTORY_OK);
	snprintf(path, sizeof(path), "%s/conversations", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	write_file("conversations/proj-1.json",
	    "{\"id\":\"proj-1\",\"model\":\"m/big\",\"system\":\"Be "
	    "terse.\",\"updated\":1700000100,"
	    "\"messages\":[{\"role\":\"user\",\"content\":\"second q\"},"
	    "{\"role\":\"assistant\",\"content\":\"second a\"}]}");
	write_file("log.jsonl",
	    "{\"time\":1700000000,\"cid\":\"proj-1\",\"model\":\"m/big\",\"prompt_tokens\":5,"
	    "\"completion_tokens\":6,\"cost\":0.25,\"question\":\"first q\"}\n"
	    "{\"time\":1700000100,\"cid\":\"proj-1\",\"model\":\"m/big\",\"prompt_tokens\":7,"
	    "\"completion_tokens\":8,\"cost\":0.5,\"question\":\"second q\"}\n"
	    "{\"time\":1699999000,\"cid\":\"gone1\",\"model\":\"m/x\",\"prompt_tokens\":1,"
	    "\"completion_tokens\":1,\"cost\":null,\"question\":\"pruned long ago\"}\n"
	    "not json\n");
	h = open_ok();
	ck_assert_int_eq(orask_history_show(h, "proj-1", &x, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_str_eq(x.model, "m/big");
	ck_assert_str_eq(x.system, "Be terse.");
	ck_assert_uint_eq(x.n, 2);
	/* The dropped first exchange: its log line, no answer. */
	ck_assert_str_eq(x.items[0].question, "first q");
	ck_assert_ptr_null(x.items[0].answer);
	ck_assert_int_eq(x.items[0].prompt_tokens, 5);
	/* The kept one, with its numbers from the log. */
	ck_assert_str_eq(x.items[1].question, "second q");
	ck_assert_str_eq(x.items[1].answer, "second a");
	ck_assert_int_eq(x.items[1].completion_tokens, 8);
	ck_assert(x.items[1].has_cost && x.items[1].cost == 0.5);
	ck_assert_int_eq(x.items[1].time, 1700000100);
	orask_exchanges_free(&x);
	ck_assert_int_eq(
	    orask_history_log(h, 20, NULL, NULL, &x, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_uint_eq(x.n, 3);
	ck_assert_str_eq(x.items[0].cid, "gone1"); /* oldest first, by time */
	ck_assert(!x.items[0].has_cost);
	orask_exchanges_free(&x);
	/* Continuing sends the exchange whose answer is known. */
	ck_assert_int_eq(
	    orask_history_start(h, "proj-1", NULL, &conv, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_uint_eq(conv->n_messages, 2);
	orask_conversation_free(conv);
	orask_history_close(h);
	/* Once: opening again imports nothing more. */
	h = open_ok();
	ck_assert_int_eq(
	    orask_history_log(h, 20, NULL, NULL, &x, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_uint_eq(x.n, 3);
	orask_exchanges_free(&x);
	orask_history_close(h);
}
END_TEST

START_TEST(history_refuses_links_and_strangers)
{
	struct orask_history *h;
	char path[512], other[512];

	/* The database as a symbolic link to a file elsewhere. */
	ck_assert_int_eq(orask_history_check(dir, msg, sizeof(msg)), ORASK_HISTORY_OK);
	snprintf(other, sizeof(other), "%s/elsewhere", base);
	ck_assert_int_eq(close(open(other, O_CREAT | O_WRONLY, 0600)), 0);
	snprintf(path, sizeof(path), "%s/history.db", dir);
	ck_assert_int_eq(symlink(other, path), 0);
	ck_assert_int_eq(orask_history_open(dir, &h, msg, sizeof(msg)), ORASK_HISTORY_UNSAFE);
	ck_assert_int_eq(orask_history_check(dir, msg, sizeof(msg)), ORASK_HISTORY_UNSAFE);
	ck_assert_int_eq(unlink(path), 0);

	/* Another user's directory (only root can make one to test with). */
	if (getuid() == 0) {
		ck_assert_int_eq(chown(dir, 1, 1), 0);
		ck_assert_int_eq(
		    orask_history_open(dir, &h, msg, sizeof(msg)), ORASK_HISTORY_UNSAFE);
		ck_assert_msg(strstr(msg, "belongs to uid 1, not to you") != NULL, "%s", msg);
		ck_assert_int_eq(chown(dir, 0, 0), 0);
	}
}
END_TEST

START_TEST(history_continues_per_terminal)
{
	struct orask_history *h = open_ok();
	struct orask_conversation *conv;
	char first[ORASK_CID_MAX + 1];

	/* -c in a terminal that has no conversation yet: a new one, and a note. */
	ck_assert_int_eq(orask_history_start(h, NULL, "tty-a", &conv, msg, sizeof(msg)),
	    ORASK_HISTORY_NOT_FOUND);
	ck_assert_ptr_nonnull(strstr(msg, "no earlier conversation in this terminal"));
	ck_assert(conv->is_new);
	ck_assert_uint_eq(conv->n_messages, 0);
	strcpy(first, conv->id);
	ck_assert_int_eq(orask_history_record(h, conv, "tty-a", "My name is Ann.", "Hello Ann.",
	                     reply_of("m/x", 5, 3, 0.1), ORASK_OUTCOME_COMPLETE, msg, sizeof(msg)),
	    ORASK_HISTORY_OK);
	orask_conversation_free(conv);

	/* -c again in the same terminal: that conversation, whole. */
	ck_assert_int_eq(
	    orask_history_start(h, NULL, "tty-a", &conv, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_str_eq(conv->id, first);
	ck_assert_uint_eq(conv->n_messages, 2);
	ck_assert_str_eq(conv->messages[0].role, "user");
	ck_assert_str_eq(conv->messages[0].content, "My name is Ann.");
	ck_assert_str_eq(conv->messages[1].role, "assistant");
	ck_assert_str_eq(conv->messages[1].content, "Hello Ann.");
	orask_conversation_free(conv);

	/* Another terminal has none. */
	ck_assert_int_eq(orask_history_start(h, NULL, "tty-b", &conv, msg, sizeof(msg)),
	    ORASK_HISTORY_NOT_FOUND);
	ck_assert_str_ne(conv->id, first);
	orask_conversation_free(conv);

	/* No -c: always a new conversation, with a new id. */
	ck_assert_int_eq(
	    orask_history_start(h, NULL, NULL, &conv, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert(conv->is_new);
	ck_assert_str_ne(conv->id, first);
	ck_assert_uint_eq(strlen(conv->id), 8);
	orask_conversation_free(conv);

	/* --cid NAME that does not exist yet starts it under that name. */
	ck_assert_int_eq(
	    orask_history_start(h, "review-42", NULL, &conv, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_str_eq(conv->id, "review-42");
	ck_assert(conv->is_new);
	orask_conversation_free(conv);
	ck_assert_int_eq(
	    orask_history_start(h, "../etc", NULL, &conv, msg, sizeof(msg)), ORASK_HISTORY_INVALID);
	ck_assert_ptr_null(conv);
	orask_history_close(h);
}
END_TEST

START_TEST(history_model_and_system_kept)
{
	struct orask_history *h = open_ok();
	struct orask_conversation *conv;

	ck_assert_int_eq(
	    orask_history_start(h, "c1", NULL, &conv, msg, sizeof(msg)), ORASK_HISTORY_OK);
	conv->model = strdup("meta-llama/llama-3.1-8b-instruct");
	conv->system = strdup("Answer in French.");
	ck_assert_int_eq(orask_history_record(h, conv, NULL, "q", "a", reply_of("m/x", 1, 1, -1),
	                     ORASK_OUTCOME_COMPLETE, msg, sizeof(msg)),
	    ORASK_HISTORY_OK);
	orask_conversation_free(conv);
	ck_assert_int_eq(
	    orask_history_start(h, "c1", NULL, &conv, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_str_eq(conv->model, "meta-llama/llama-3.1-8b-instruct");
	ck_assert_str_eq(conv->system, "Answer in French.");
	orask_conversation_free(conv);
	orask_history_close(h);
}
END_TEST

START_TEST(history_two_writers)
{
	struct orask_history *h1 = open_ok(), *h2 = open_ok();
	struct orask_conversation *a, *b;

	record(h1, "shared", NULL, "q0", "a0", NULL);
	/* Two orask runs continue the same conversation at once. */
	ck_assert_int_eq(
	    orask_history_start(h1, "shared", NULL, &a, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_int_eq(
	    orask_history_start(h2, "shared", NULL, &b, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_int_eq(orask_history_record(h1, a, NULL, "q1", "a1", reply_of("m/x", 1, 1, 0),
	                     ORASK_OUTCOME_COMPLETE, msg, sizeof(msg)),
	    ORASK_HISTORY_OK);
	ck_assert_int_eq(orask_history_record(h2, b, NULL, "q2", "a2", reply_of("m/x", 1, 1, 0),
	                     ORASK_OUTCOME_COMPLETE, msg, sizeof(msg)),
	    ORASK_HISTORY_OK);
	orask_conversation_free(a);
	orask_conversation_free(b);
	ck_assert_int_eq(
	    orask_history_start(h1, "shared", NULL, &a, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_uint_eq(a->n_messages, 6); /* nothing lost */
	ck_assert_str_eq(a->messages[2].content, "q1");
	ck_assert_str_eq(a->messages[4].content, "q2");
	orask_conversation_free(a);
	orask_history_close(h1);
	orask_history_close(h2);
}
END_TEST

START_TEST(history_terminal_key)
{
	char k1[ORASK_TERMINAL_KEY_MAX], k2[ORASK_TERMINAL_KEY_MAX], child[ORASK_TERMINAL_KEY_MAX];
	int fds[2], status;
	pid_t pid;

	ck_assert_int_eq(orask_history_terminal_key(k1, sizeof(k1)), 0);
	ck_assert_int_eq(orask_history_terminal_key(k2, sizeof(k2)), 0);
	ck_assert_str_eq(k1, k2);
	/* A child in the same session is the same terminal... */
	ck_assert_int_eq(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		orask_history_terminal_key(child, sizeof(child));
		_exit(write(fds[1], child, strlen(child) + 1) > 0 ? 0 : 1);
	}
	ck_assert_int_gt(read(fds[0], child, sizeof(child)), 0);
	waitpid(pid, &status, 0);
	ck_assert_str_eq(child, k1);
	/* ...one in a new session (another terminal) is not. */
	if ((pid = fork()) == 0) {
		setsid();
		orask_history_terminal_key(child, sizeof(child));
		_exit(write(fds[1], child, strlen(child) + 1) > 0 ? 0 : 1);
	}
	ck_assert_int_gt(read(fds[0], child, sizeof(child)), 0);
	waitpid(pid, &status, 0);
	ck_assert_str_ne(child, k1);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

START_TEST(history_default_dir)
{
	char *d;

	setenv("HOME", "/home/ann", 1);
	setenv("XDG_STATE_HOME", "/srv/state", 1);
	ck_assert_str_eq(d = orask_history_default_dir(), "/srv/state/ora");
	free(d);
	setenv("XDG_STATE_HOME", "relative/state", 1); /* ignored, as XDG says */
	ck_assert_str_eq(d = orask_history_default_dir(), "/home/ann/.local/state/ora");
	free(d);
	unsetenv("XDG_STATE_HOME");
	ck_assert_str_eq(d = orask_history_default_dir(), "/home/ann/.local/state/ora");
	free(d);
	ck_assert(orask_history_valid_id("a1b2c3d4"));
	ck_assert(orask_history_valid_id("review_42.v2-x"));
	ck_assert(!orask_history_valid_id(""));
	ck_assert(!orask_history_valid_id(".hidden"));
	ck_assert(!orask_history_valid_id("a/b"));
	ck_assert(!orask_history_valid_id("a b"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("orask-history");
	TCase *tc = tcase_create("history");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, history_modes_whatever_the_umask);
	tcase_add_test(tc, history_refuses_what_others_may_read);
	tcase_add_test(tc, history_refuses_links_and_strangers);
	tcase_add_test(tc, history_continues_per_terminal);
	tcase_add_test(tc, history_model_and_system_kept);
	tcase_add_test(tc, history_keeps_everything_unless_told);
	tcase_add_test(tc, history_interrupted_kept_not_resent);
	tcase_add_test(tc, history_cost_learned_later);
	tcase_add_test(tc, history_log_search_show_rm);
	tcase_add_test(tc, history_imports_the_old_files);
	tcase_add_test(tc, history_pending_exchanges_drained);
	tcase_add_test(tc, history_two_writers);
	tcase_add_test(tc, history_terminal_key);
	tcase_add_test(tc, history_default_dir);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
