/*
 * check_client_history.c: orask's conversations and log (src/orask/
 * history.c) on a real file system: the modes files and directories are
 * created with whatever the umask, refusal of a history others may read or
 * that is not the caller's, continuation per terminal, the caps on
 * conversations, their number and the log, and two writers at once.
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
	ck_assert_msg(orask_history_record(h, conv, key, q, a, reply_of("m/x", 3, 4, 0.5), msg,
	                  sizeof(msg)) == ORASK_HISTORY_OK,
	    "%s", msg);
	if (out != NULL)
		strcpy(out, conv->id);
	orask_conversation_free(conv);
}

START_TEST(history_modes_whatever_the_umask)
{
	struct orask_history *h;
	mode_t old = umask(0);
	char id[ORASK_CID_MAX + 1], rel[128];

	h = open_ok();
	record(h, NULL, "t1", "hello", "hi there", id);
	umask(old);
	ck_assert_uint_eq(mode_of(""), 0700);
	ck_assert_uint_eq(mode_of("conversations"), 0700);
	ck_assert_uint_eq(mode_of("log.jsonl"), 0600);
	ck_assert_uint_eq(mode_of("terminals.json"), 0600);
	snprintf(rel, sizeof(rel), "conversations/%s.json", id);
	ck_assert_uint_eq(mode_of(rel), 0600);
	/* The parents it had to create are private too (XDG asks for 0700). */
	ck_assert_uint_eq(mode_of(".."), 0700);
	orask_history_close(h);
}
END_TEST

START_TEST(history_refuses_what_others_may_read)
{
	struct orask_history *h;
	struct orask_conversation *conv;
	char path[512], want[600], id[ORASK_CID_MAX + 1];

	h = open_ok();
	record(h, NULL, "t1", "secret question", "secret answer", id);
	orask_history_close(h);

	/* The directory. */
	ck_assert_int_eq(chmod(dir, 0750), 0);
	ck_assert_int_eq(orask_history_open(dir, &h, msg, sizeof(msg)), ORASK_HISTORY_UNSAFE);
	ck_assert_ptr_null(h);
	snprintf(want, sizeof(want), "run: chmod 700 '%s'", dir);
	ck_assert_msg(strstr(msg, want) != NULL, "%s", msg);
	ck_assert_msg(strstr(msg, "mode 0750") != NULL, "%s", msg);
	ck_assert_int_eq(chmod(dir, 0700), 0);

	/* A conversation file. */
	snprintf(path, sizeof(path), "%s/conversations/%s.json", dir, id);
	ck_assert_int_eq(chmod(path, 0604), 0);
	h = open_ok();
	ck_assert_int_eq(
	    orask_history_start(h, id, NULL, &conv, msg, sizeof(msg)), ORASK_HISTORY_UNSAFE);
	snprintf(want, sizeof(want), "run: chmod 600 '%s'", path);
	ck_assert_msg(strstr(msg, want) != NULL, "%s", msg);
	ck_assert_int_eq(chmod(path, 0600), 0);

	/* The terminals index, on the way to the last conversation. */
	snprintf(path, sizeof(path), "%s/terminals.json", dir);
	ck_assert_int_eq(chmod(path, 0640), 0);
	ck_assert_int_eq(
	    orask_history_start(h, NULL, "t1", &conv, msg, sizeof(msg)), ORASK_HISTORY_UNSAFE);
	ck_assert_int_eq(chmod(path, 0600), 0);

	/* The log. */
	snprintf(path, sizeof(path), "%s/log.jsonl", dir);
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(
	    orask_history_start(h, id, NULL, &conv, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_int_eq(orask_history_record(
	                     h, conv, "t1", "q", "a", reply_of("m/x", 1, 1, 0), msg, sizeof(msg)),
	    ORASK_HISTORY_UNSAFE);
	orask_conversation_free(conv);
	orask_history_close(h);
}
END_TEST

START_TEST(history_refuses_links_and_strangers)
{
	struct orask_history *h;
	struct orask_conversation *conv;
	char path[512], other[512];

	h = open_ok();
	/* A conversation that is a symbolic link to a file elsewhere. */
	snprintf(other, sizeof(other), "%s/elsewhere", base);
	ck_assert_int_eq(close(open(other, O_CREAT | O_WRONLY, 0600)), 0);
	snprintf(path, sizeof(path), "%s/conversations/linked.json", dir);
	ck_assert_int_eq(symlink(other, path), 0);
	ck_assert_int_eq(
	    orask_history_start(h, "linked", NULL, &conv, msg, sizeof(msg)), ORASK_HISTORY_UNSAFE);
	orask_history_close(h);

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
	                     reply_of("m/x", 5, 3, 0.1), msg, sizeof(msg)),
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
	ck_assert_int_eq(orask_history_record(
	                     h, conv, NULL, "q", "a", reply_of("m/x", 1, 1, -1), msg, sizeof(msg)),
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

START_TEST(history_conversation_capped)
{
	struct orask_history *h = open_ok();
	struct orask_conversation *conv;
	char q[32], *big;
	int i;

	for (i = 1; i <= ORASK_HISTORY_MAX_EXCHANGES + 5; i++) {
		snprintf(q, sizeof(q), "question %d", i);
		record(h, "long", NULL, q, "answer", NULL);
	}
	ck_assert_int_eq(
	    orask_history_start(h, "long", NULL, &conv, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_uint_eq(conv->n_messages, 2 * ORASK_HISTORY_MAX_EXCHANGES);
	ck_assert_str_eq(conv->messages[0].content, "question 6"); /* the oldest five went */
	snprintf(q, sizeof(q), "question %d", ORASK_HISTORY_MAX_EXCHANGES + 5);
	ck_assert_str_eq(conv->messages[conv->n_messages - 2].content, q);
	orask_conversation_free(conv);

	/* By size: two exchanges of 600 KiB do not fit 1 MiB; the newest,
	 * however large, stays. */
	big = malloc(600 * 1024 + 1);
	memset(big, 'a', 600 * 1024);
	big[600 * 1024] = '\0';
	record(h, "big", NULL, big, "1", NULL);
	record(h, "big", NULL, big, "2", NULL);
	ck_assert_int_eq(
	    orask_history_start(h, "big", NULL, &conv, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_uint_eq(conv->n_messages, 2);
	ck_assert_str_eq(conv->messages[1].content, "2");
	orask_conversation_free(conv);
	free(big);
	orask_history_close(h);
}
END_TEST

static int
count_conversations(void)
{
	char cmd[300];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls '%s/conversations' | grep -c '\\.json$'", dir);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	ck_assert_int_eq(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

START_TEST(history_old_conversations_pruned)
{
	struct orask_history *h = open_ok();
	struct timespec old[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
	char id[ORASK_CID_MAX + 1], path[512];
	int i;

	record(h, "the-oldest", NULL, "q", "a", NULL);
	snprintf(path, sizeof(path), "%s/conversations/the-oldest.json", dir);
	ck_assert_int_eq(utimensat(AT_FDCWD, path, old, 0), 0);
	for (i = 0; i < ORASK_HISTORY_MAX_CONVERSATIONS + 4; i++)
		record(h, NULL, NULL, "q", "a", id);
	/* Never more than the cap; pruned a tenth below it at once. */
	ck_assert_int_le(count_conversations(), ORASK_HISTORY_MAX_CONVERSATIONS);
	ck_assert_int_ge(count_conversations(),
	    ORASK_HISTORY_MAX_CONVERSATIONS - ORASK_HISTORY_MAX_CONVERSATIONS / 10);
	ck_assert_int_ne(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/conversations/%s.json", dir, id);
	ck_assert_int_eq(access(path, F_OK), 0); /* the newest stays */
	orask_history_close(h);
}
END_TEST

START_TEST(history_log_lines)
{
	struct orask_history *h = open_ok();
	struct orask_log_entry *e;
	char q[400], id[ORASK_CID_MAX + 1];
	size_t n, i;

	record(h, NULL, NULL, "first line\nsecond line", "a", id);
	/* 190 ASCII bytes, then 'é' (2 bytes) repeated: the cut at 200 bytes
	 * must not split one. Then a tab, which becomes a space. */
	memset(q, 'x', 191);
	for (i = 191; i < 231; i += 2) {
		q[i] = (char)0xc3;
		q[i + 1] = (char)0xa9;
	}
	q[231] = '\0';
	q[0] = '\t';
	record(h, "second", NULL, q, "a", NULL);
	ck_assert_int_eq(orask_history_log(h, 20, &e, &n, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(e[0].cid, id);
	ck_assert_str_eq(e[0].question, "first line");
	ck_assert_str_eq(e[0].model, "m/x");
	ck_assert_int_eq(e[0].prompt_tokens, 3);
	ck_assert_int_eq(e[0].completion_tokens, 4);
	ck_assert(e[0].has_cost && e[0].cost == 0.5);
	ck_assert_str_eq(e[1].cid, "second");
	ck_assert_uint_eq(strlen(e[1].question), 199); /* 191 + 4 whole 'é' */
	ck_assert_int_eq(e[1].question[0], ' ');
	free(e);
	ck_assert_int_eq(orask_history_log(h, 1, &e, &n, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(e[0].cid, "second");
	free(e);
	orask_history_close(h);
}
END_TEST

START_TEST(history_log_bounded)
{
	struct orask_history *h = open_ok();
	struct orask_log_entry *e;
	char path[512], line[256];
	struct stat st;
	size_t n;
	FILE *f;
	int fd, i;

	snprintf(path, sizeof(path), "%s/log.jsonl", dir);
	ck_assert_int_ge(fd = open(path, O_CREAT | O_WRONLY, 0600), 0);
	ck_assert_ptr_nonnull(f = fdopen(fd, "w"));
	for (i = 0; (size_t)ftell(f) < ORASK_LOG_MAX_BYTES; i++) {
		snprintf(line, sizeof(line),
		    "{\"time\":%d,\"cid\":\"old\",\"model\":\"m/x\",\"prompt_tokens\":1,"
		    "\"completion_tokens\":1,\"cost\":0.1,\"question\":\"number %d\"}\n",
		    i, i);
		fputs(line, f);
	}
	fclose(f);
	record(h, "new", NULL, "the newest", "a", NULL);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_le((size_t)st.st_size, ORASK_LOG_MAX_BYTES / 2 + 1024);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(orask_history_log(h, 1, &e, &n, msg, sizeof(msg)), ORASK_HISTORY_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(e[0].question, "the newest");
	free(e);
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
	ck_assert_int_eq(orask_history_record(
	                     h1, a, NULL, "q1", "a1", reply_of("m/x", 1, 1, 0), msg, sizeof(msg)),
	    ORASK_HISTORY_OK);
	ck_assert_int_eq(orask_history_record(
	                     h2, b, NULL, "q2", "a2", reply_of("m/x", 1, 1, 0), msg, sizeof(msg)),
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
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, history_modes_whatever_the_umask);
	tcase_add_test(tc, history_refuses_what_others_may_read);
	tcase_add_test(tc, history_refuses_links_and_strangers);
	tcase_add_test(tc, history_continues_per_terminal);
	tcase_add_test(tc, history_model_and_system_kept);
	tcase_add_test(tc, history_conversation_capped);
	tcase_add_test(tc, history_old_conversations_pruned);
	tcase_add_test(tc, history_log_lines);
	tcase_add_test(tc, history_log_bounded);
	tcase_add_test(tc, history_two_writers);
	tcase_add_test(tc, history_terminal_key);
	tcase_add_test(tc, history_default_dir);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
