/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_identity.c: identities from real sockets and the real user and
 * group databases.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/identity.h"

static int
has_gid(const gid_t *v, size_t n, gid_t g)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i] == g)
			return 1;
	}
	return 0;
}

/* A uid (or gid) with no entry in the database, found by asking. */
static uid_t
unused_uid(void)
{
	char buf[4096];

	for (uid_t u = 2147480000u; u < 2147483000u; u++) {
		struct passwd pw, *res = NULL;
		if (getpwuid_r(u, &pw, buf, sizeof(buf), &res) == 0 && res == NULL)
			return u;
	}
	ck_abort_msg("no unused uid found");
	return 0;
}

static gid_t
unused_gid(void)
{
	char buf[4096];

	for (gid_t g = 2147480000u; g < 2147483000u; g++) {
		struct group gr, *res = NULL;
		if (getgrgid_r(g, &gr, buf, sizeof(buf), &res) == 0 && res == NULL)
			return g;
	}
	ck_abort_msg("no unused gid found");
	return 0;
}

START_TEST(test_socketpair_is_this_process)
{
	struct ora_identity id;
	struct ora_error err = {""};
	struct passwd pw, *res = NULL;
	char buf[4096];
	gid_t groups[1024];
	int sv[2], n;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_msg(ora_identity_from_socket(sv[0], &id, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(id.uid, getuid());
	ck_assert_uint_eq(id.gid, getgid());
	ck_assert_int_eq(id.pid, getpid());
	ck_assert_int_eq(getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res), 0);
	ck_assert_ptr_nonnull(res);
	ck_assert_str_eq(id.user, pw.pw_name);

	/* Primary first, then exactly the groups the database gives the user
	 * (what orad trusts: a socket's peer credentials carry no groups).
	 * Not this process's groups: in containers, CI runners or after a
	 * usermod without a new login the two differ, and the database is
	 * the one that decides. */
	ck_assert_uint_ge(id.n_groups, 1);
	ck_assert_uint_eq(id.gids[0], getgid());
	n = 1024;
	ck_assert_int_ge(getgrouplist(pw.pw_name, pw.pw_gid, groups, &n), 0);
	ck_assert_int_lt(n, 1024);
	groups[n++] = getgid(); /* the peer's own gid, as the kernel gave it */
	for (int i = 0; i < n; i++)
		ck_assert_msg(has_gid(id.gids, id.n_groups, groups[i]),
		    "group %lu of the user is missing", (unsigned long)groups[i]);
	for (size_t i = 0; i < id.n_groups; i++)
		ck_assert_msg(has_gid(groups, (size_t)n, id.gids[i]),
		    "group %lu is not one of the user's", (unsigned long)id.gids[i]);
	/* Names are parallel to gids. */
	for (size_t i = 0; i < id.n_groups; i++) {
		struct group gr, *gres = NULL;
		char expect[64];

		ck_assert_int_eq(getgrgid_r(id.gids[i], &gr, buf, sizeof(buf), &gres), 0);
		if (gres != NULL)
			snprintf(expect, sizeof(expect), "%s", gr.gr_name);
		else
			snprintf(expect, sizeof(expect), "%lu", (unsigned long)id.gids[i]);
		ck_assert_str_eq(id.groups[i], expect);
		ck_assert(ora_identity_in_group(&id, expect));
	}
	ck_assert(!ora_identity_in_group(&id, "no-such-group-for-ora-tests"));
	ck_assert(!ora_identity_in_group(&id, ""));
	ora_identity_clear(&id);
	ck_assert_uint_eq(id.n_groups, 0);
	ck_assert_ptr_null(id.groups);
	ora_identity_clear(&id);
	ora_identity_clear(NULL);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* A caller that is someone else: a child drops to nobody and connects. */
START_TEST(test_other_user_through_listener)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct ora_identity id;
	struct ora_error err = {""};
	struct passwd pw, *nobody = NULL;
	char buf[4096];
	int lfd, cfd, status;
	pid_t child;

	if (geteuid() != 0 || getpwnam_r("nobody", &pw, buf, sizeof(buf), &nobody) != 0 ||
	    nobody == NULL)
		return; /* needs root and a nobody user to switch to */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/tmp/check_identity.%d", (int)getpid());
	unlink(sa.sun_path);
	ck_assert_int_ge(lfd = socket(AF_UNIX, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(chmod(sa.sun_path, 0666), 0);
	ck_assert_int_eq(listen(lfd, 1), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		int fd;
		char c;

		if (setgroups(0, NULL) != 0 || setgid(pw.pw_gid) != 0 || setuid(pw.pw_uid) != 0)
			_exit(2);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
			_exit(3);
		/* Stay alive until the parent has looked. */
		if (read(fd, &c, 1) < 0)
			_exit(4);
		_exit(0);
	}
	ck_assert_int_ge(cfd = accept(lfd, NULL, NULL), 0);
	ck_assert_msg(ora_identity_from_socket(cfd, &id, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(id.uid, pw.pw_uid);
	ck_assert_uint_eq(id.gid, pw.pw_gid);
	ck_assert_int_eq(id.pid, child);
	ck_assert_str_eq(id.user, "nobody");
	ck_assert(!ora_identity_in_group(&id, "root"));
	close(cfd);
	waitpid(child, &status, 0);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ora_identity_clear(&id);
	close(lfd);
	unlink(sa.sun_path);
}
END_TEST

START_TEST(test_unknown_uid_is_denied)
{
	struct ora_identity id;
	struct ora_error err = {""};
	uid_t u = unused_uid();
	char want[64];

	ck_assert_int_eq(ora_identity_resolve(u, 0, &id, &err), -1);
	snprintf(want, sizeof(want), "uid %lu has no user entry", (unsigned long)u);
	ck_assert_msg(strstr(err.msg, want) != NULL, "message: %s", err.msg);
	ck_assert_uint_eq(id.n_groups, 0);
	ck_assert_ptr_null(id.gids);
	ck_assert_str_eq(id.user, "");
}
END_TEST

START_TEST(test_lookup_user)
{
	struct ora_identity id;
	struct ora_error err = {""};

	ck_assert_msg(ora_identity_lookup_user("root", &id, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(id.uid, 0);
	ck_assert_uint_eq(id.gid, 0);
	ck_assert_int_eq(id.pid, 0);
	ck_assert_str_eq(id.user, "root");
	ck_assert_uint_eq(id.gids[0], 0);
	ck_assert_str_eq(id.groups[0], "root");
	ck_assert(ora_identity_in_group(&id, "root"));
	ora_identity_clear(&id);

	ck_assert_int_eq(ora_identity_lookup_user("no-such-user-for-ora-tests", &id, &err), -1);
	ck_assert_msg(strstr(err.msg, "no such user: no-such-user-for-ora-tests") != NULL,
	    "message: %s", err.msg);
	ck_assert_ptr_null(id.groups);
}
END_TEST

/* The peer's effective gid is recorded but grants nothing: only the group
 * database does (a process under `sg grp` keeps grp after a removal). */
START_TEST(test_unnamed_group_kept_as_number)
{
	struct ora_identity id;
	struct ora_error err = {""};
	gid_t g = unused_gid();
	char num[32];

	ck_assert_msg(ora_identity_resolve(0, g, &id, &err) == 0, "%s", err.msg);
	snprintf(num, sizeof(num), "%lu", (unsigned long)g);
	ck_assert_uint_eq(id.gid, g);
	ck_assert_uint_eq(id.gids[0], 0);
	ck_assert(!has_gid(id.gids, id.n_groups, g));
	ck_assert(!ora_identity_in_group(&id, num));
	/* root's own primary group still counts. */
	ck_assert(ora_identity_in_group(&id, "root"));
	ora_identity_clear(&id);
}
END_TEST

/* A TCP caller's gid is not known ((gid_t)-1): the passwd entry's primary
 * group is recorded, and groups come from the database as for anyone. */
START_TEST(test_unknown_gid_is_the_primary_group)
{
	struct ora_identity id;
	struct ora_error err = {""};

	ck_assert_msg(ora_identity_resolve(0, (gid_t)-1, &id, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(id.gid, 0);
	ck_assert_str_eq(id.user, "root");
	ck_assert(ora_identity_in_group(&id, "root"));
	ora_identity_clear(&id);
	ck_assert_int_eq(ora_identity_resolve((uid_t)-1, (gid_t)-1, &id, &err), -1);
}
END_TEST

START_TEST(test_not_a_unix_socket)
{
	struct ora_identity id;
	struct ora_error err = {""};
	int p[2], s;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(ora_identity_from_socket(p[0], &id, &err), -1);
	ck_assert_msg(
	    strstr(err.msg, "cannot inspect the connection") != NULL, "message: %s", err.msg);
	close(p[0]);
	close(p[1]);
	ck_assert_int_ge(s = socket(AF_INET, SOCK_DGRAM, 0), 0);
	ck_assert_int_eq(ora_identity_from_socket(s, &id, &err), -1);
	ck_assert_msg(strstr(err.msg, "not a Unix socket") != NULL, "message: %s", err.msg);
	close(s);
	ck_assert_int_eq(ora_identity_from_socket(-1, &id, &err), -1);
	ck_assert_ptr_null(id.groups);
}
END_TEST

static Suite *
identity_suite(void)
{
	Suite *s = suite_create("identity");
	TCase *tc = tcase_create("resolve");

	tcase_add_test(tc, test_socketpair_is_this_process);
	tcase_add_test(tc, test_other_user_through_listener);
	tcase_add_test(tc, test_unknown_uid_is_denied);
	tcase_add_test(tc, test_lookup_user);
	tcase_add_test(tc, test_unnamed_group_kept_as_number);
	tcase_add_test(tc, test_not_a_unix_socket);
	tcase_add_test(tc, test_unknown_gid_is_the_primary_group);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(identity_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
