/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_keystore.c: the master key, sealed upstream keys and the keyring,
 * each in a fresh temporary state directory.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/util.h"
#include "keys/keystore.h"

#define KEY_DEV "sk-or-v1-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define KEY_PROD "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"
#define NOBODY_UID 65534

static char tmpdir[64];
static char *state_dir, *master_path, *keys_dir;
static struct ora_secret *master;

#define ck_assert_err_has(err, text)                                                               \
	ck_assert_msg(                                                                             \
	    strstr((err).msg, (text)) != NULL, "message \"%s\" lacks \"%s\"", (err).msg, (text))

static void
setup(void)
{
	struct ora_error err = {{0}};

	ck_assert_int_eq(ora_keystore_init(&err), 0);
	ora_strlcpy(tmpdir, "/tmp/check_keystore.XXXXXX", sizeof(tmpdir));
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	state_dir = ora_xasprintf("%s/state", tmpdir);
	master_path = ora_xasprintf("%s/master.key", tmpdir);
	keys_dir = ora_key_dir(state_dir);
	ck_assert_int_eq(mkdir(state_dir, 0700), 0);
	ck_assert_msg(ora_master_key_create(master_path, 0, &err) == 0, "%s", err.msg);
	ck_assert_msg(ora_master_key_load(master_path, &master, &err) == 0, "%s", err.msg);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
teardown(void)
{
	ora_secret_free(master);
	master = NULL;
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(state_dir);
	free(master_path);
	free(keys_dir);
}

static void
seal(const char *name, const char *plaintext)
{
	struct ora_error err = {{0}};

	ck_assert_msg(ora_key_seal(master, state_dir, name, (const unsigned char *)plaintext,
	                  strlen(plaintext), &err) == 0,
	    "%s", err.msg);
}

static char *
key_file(const char *name)
{
	return ora_key_path(state_dir, name);
}

static void
copy_file(const char *from, const char *to)
{
	char buf[4096];
	ssize_t n;
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(in, 0);
	ck_assert_int_ge(out, 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		ck_assert_int_eq(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
}

/* Open name and expect failure with a message containing text. */
static void
open_fails(const char *name, const char *text)
{
	struct ora_error err = {{0}};
	struct ora_secret *key = NULL;

	ck_assert_int_eq(ora_key_open(master, state_dir, name, &key, &err), -1);
	ck_assert_ptr_null(key);
	ck_assert_err_has(err, text);
}

START_TEST(test_round_trip)
{
	struct ora_error err = {{0}};
	struct ora_secret *key = NULL;
	char *path = key_file("dev"), buf[512];
	struct stat st;
	ssize_t n;
	int fd;

	seal("dev", KEY_DEV);
	ck_assert_msg(ora_key_open(master, state_dir, "dev", &key, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(ora_secret_len(key), strlen(KEY_DEV));
	ck_assert_mem_eq(ora_secret_data(key), KEY_DEV, strlen(KEY_DEV));
	ora_secret_free(key);

	/* The file is private, versioned, and does not contain the key. */
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(stat(keys_dir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	fd = open(path, O_RDONLY);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	ck_assert_int_eq(n, 8 + 24 + (ssize_t)strlen(KEY_DEV) + 16);
	ck_assert_mem_eq(buf, "ORAKEY\x01\x01", 8);
	ck_assert_ptr_null(memmem(buf, (size_t)n, "sk-or", 5));

	/* Sealing again replaces the key, with a fresh nonce. */
	seal("dev", KEY_PROD);
	ck_assert_int_eq(ora_key_open(master, state_dir, "dev", &key, &err), 0);
	ck_assert_mem_eq(ora_secret_data(key), KEY_PROD, strlen(KEY_PROD));
	ora_secret_free(key);
	free(path);
}
END_TEST

/* A management key opens only as one, and a cost centre naming it (orad
 * opens NAME.key) is told why it cannot serve requests. */
START_TEST(test_management_key_apart)
{
	char *mpath = ora_key_path_kind(state_dir, ORA_KEY_MANAGEMENT, "mgmt"),
	     *as_upstream = key_file("mgmt"), *text = NULL;
	struct ora_error err = {{0}};
	struct ora_secret *key = NULL;
	struct stat st;

	ck_assert_msg(ora_key_seal_kind(master, state_dir, ORA_KEY_MANAGEMENT, "mgmt",
	                  (const unsigned char *)KEY_PROD, strlen(KEY_PROD), &err) == 0,
	    "%s", err.msg);
	ck_assert_int_eq(stat(mpath, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_msg(ora_key_open_kind(master, state_dir, ORA_KEY_MANAGEMENT, "mgmt", &key,
	                  &err) == 0,
	    "%s", err.msg);
	ck_assert_mem_eq(ora_secret_data(key), KEY_PROD, strlen(KEY_PROD));
	ora_secret_free(key);
	open_fails("mgmt", "is an OpenRouter management key");
	/* Renamed into an upstream key's file, it does not decrypt. */
	copy_file(mpath, as_upstream);
	open_fails("mgmt", "does not decrypt with the master key");
	/* Nor does an upstream key renamed into a management key's. */
	seal("dev", KEY_DEV);
	free(mpath);
	mpath = ora_key_path_kind(state_dir, ORA_KEY_MANAGEMENT, "dev");
	free(as_upstream);
	as_upstream = key_file("dev");
	copy_file(as_upstream, mpath);
	ck_assert_int_eq(
	    ora_key_open_kind(master, state_dir, ORA_KEY_MANAGEMENT, "dev", &key, &err), -1);
	ck_assert_err_has(err, "does not decrypt");
	/* Metadata: none, written, read back, removed. */
	ck_assert_int_eq(ora_key_meta_read(state_dir, "dev", &text, &err), 1);
	ck_assert_int_eq(ora_key_meta_write(state_dir, "dev", "{\"hash\":\"ab\"}\n", &err), 0);
	ck_assert_int_eq(ora_key_meta_read(state_dir, "dev", &text, &err), 0);
	ck_assert_str_eq(text, "{\"hash\":\"ab\"}\n");
	free(text);
	ck_assert_int_eq(ora_key_meta_remove(state_dir, "dev"), 0);
	ck_assert_int_eq(ora_key_meta_read(state_dir, "dev", &text, &err), 1);
	free(mpath);
	free(as_upstream);
}
END_TEST

START_TEST(test_renamed_file_fails)
{
	char *prod = key_file("prod"), *dev = key_file("dev");

	seal("prod", KEY_PROD);
	copy_file(prod, dev);
	open_fails("dev", "does not decrypt with the master key");
	open_fails("dev", "renamed from another key's file?");
	open_fails("dev", dev);
	free(prod);
	free(dev);
}
END_TEST

/* Flip one byte at offset and expect the open to fail with text. */
static void
tamper(const char *name, off_t offset, const char *text)
{
	char *path = key_file(name);
	unsigned char c;
	int fd = open(path, O_RDWR);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &c, 1, offset), 1);
	c ^= 0x01;
	ck_assert_int_eq(pwrite(fd, &c, 1, offset), 1);
	close(fd);
	open_fails(name, text);
	free(path);
}

START_TEST(test_tampered_fails)
{
	char *path = key_file("dev");

	seal("dev", KEY_DEV);
	tamper("dev", 40, "does not decrypt"); /* ciphertext */
	seal("dev", KEY_DEV);
	tamper("dev", 10, "does not decrypt"); /* nonce */
	seal("dev", KEY_DEV);
	tamper("dev", 8 + 24 + (off_t)strlen(KEY_DEV) + 3, "does not decrypt"); /* tag */
	seal("dev", KEY_DEV);
	tamper("dev", 6, "format version");
	seal("dev", KEY_DEV);
	tamper("dev", 0, "not an ora key file");
	seal("dev", KEY_DEV);
	ck_assert_int_eq(truncate(path, 40), 0);
	open_fails("dev", "too short");
	free(path);
}
END_TEST

START_TEST(test_wrong_master_fails)
{
	struct ora_error err = {{0}};
	struct ora_secret *other = NULL, *key = NULL;
	char *other_path = ora_xasprintf("%s/other.key", tmpdir);

	seal("dev", KEY_DEV);
	ck_assert_int_eq(ora_master_key_create(other_path, 0, &err), 0);
	ck_assert_int_eq(ora_master_key_load(other_path, &other, &err), 0);
	ck_assert_int_eq(ora_key_open(other, state_dir, "dev", &key, &err), -1);
	ck_assert_ptr_null(key);
	ck_assert_err_has(err, "sealed under another master key");
	ora_secret_free(other);
	free(other_path);
}
END_TEST

START_TEST(test_too_open_refused)
{
	char *path = key_file("dev"), *hint;

	seal("dev", KEY_DEV);
	ck_assert_int_eq(chmod(path, 0644), 0);
	hint = ora_xasprintf(
	    "%s is readable by group or others (mode 0644): run chmod 600 %s", path, path);
	open_fails("dev", hint);
	free(hint);
	ck_assert_int_eq(chmod(path, 0620), 0);
	open_fails("dev", "accessible by group or others (mode 0620)");

	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_eq(chmod(keys_dir, 0755), 0);
	hint = ora_xasprintf("run chmod 700 %s", keys_dir);
	open_fails("dev", hint);
	free(hint);
	free(path);
}
END_TEST

START_TEST(test_symlink_refused)
{
	char *dev = key_file("dev");

	seal("prod", KEY_PROD);
	ck_assert_int_eq(symlink("prod.key", dev), 0);
	open_fails("dev", "is a symbolic link");
	free(dev);
}
END_TEST

START_TEST(test_not_regular_refused)
{
	char *dev = key_file("dev");

	seal("prod", KEY_PROD);
	ck_assert_int_eq(mkfifo(dev, 0600), 0);
	open_fails("dev", "is not a regular file"); /* and does not hang */
	free(dev);
}
END_TEST

START_TEST(test_missing_key)
{
	/* No keys/ directory yet, then a directory without the key. */
	open_fails("prod", "no key named 'prod'");
	seal("dev", KEY_DEV);
	open_fails("prod", "no key named 'prod'");
	open_fails("prod", "add it with `oractl key add prod`");
	open_fails("../etc", "not a valid key name");
}
END_TEST

START_TEST(test_wrong_owner)
{
	char *path = key_file("dev");

	if (geteuid() != 0)
		return; /* only root can give a file away */
	seal("dev", KEY_DEV);
	ck_assert_int_eq(chown(path, NOBODY_UID, NOBODY_UID), 0);
	open_fails("dev", "is owned by");
	open_fails("dev", "run chown root");
	free(path);
}
END_TEST

/* Root writes keys into a keys/ directory owned by the daemon user; the
 * files go to that user, and both root and that user accept them. */
START_TEST(test_root_adopts_dir_owner)
{
	struct ora_error err = {{0}};
	struct ora_secret *key = NULL;
	char *path = key_file("dev");
	struct stat st;

	if (geteuid() != 0)
		return;
	ck_assert_int_eq(chown(state_dir, NOBODY_UID, NOBODY_UID), 0);
	seal("dev", KEY_DEV);
	ck_assert_int_eq(stat(keys_dir, &st), 0);
	ck_assert_uint_eq(st.st_uid, NOBODY_UID);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_uid, NOBODY_UID);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_msg(ora_key_open(master, state_dir, "dev", &key, &err) == 0, "%s", err.msg);
	ora_secret_free(key);
	free(path);
}
END_TEST

START_TEST(test_master_create)
{
	struct ora_error err = {{0}};
	struct ora_secret *again = NULL;
	struct stat st;

	ck_assert_int_eq(stat(master_path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(st.st_size, ORA_MASTER_KEY_BYTES);

	ck_assert_int_eq(ora_master_key_create(master_path, 0, &err), -1);
	ck_assert_err_has(err, "exists; refusing to replace it: every stored key would become "
	                       "unreadable. Use --force to replace it anyway");
	ck_assert_int_eq(ora_master_key_load(master_path, &again, &err), 0);
	ck_assert_mem_eq(ora_secret_data(again), ora_secret_data(master), ORA_MASTER_KEY_BYTES);
	ora_secret_free(again);

	ck_assert_msg(ora_master_key_create(master_path, 1, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(ora_master_key_load(master_path, &again, &err), 0);
	ck_assert_int_ne(
	    memcmp(ora_secret_data(again), ora_secret_data(master), ORA_MASTER_KEY_BYTES), 0);
	ora_secret_free(again);
	ck_assert_int_eq(stat(master_path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
}
END_TEST

START_TEST(test_master_load_checks)
{
	struct ora_error err = {{0}};
	struct ora_secret *m = NULL;
	char *missing = ora_xasprintf("%s/none.key", tmpdir);

	ck_assert_int_eq(ora_master_key_load(missing, &m, &err), -1);
	ck_assert_err_has(err, "create it with `oractl init`");
	ck_assert_int_eq(chmod(master_path, 0640), 0);
	ck_assert_int_eq(ora_master_key_load(master_path, &m, &err), -1);
	ck_assert_err_has(err, "run chmod 600");
	ck_assert_int_eq(chmod(master_path, 0600), 0);
	ck_assert_int_eq(truncate(master_path, 31), 0);
	ck_assert_int_eq(ora_master_key_load(master_path, &m, &err), -1);
	ck_assert_err_has(err, "is 31 bytes, not 32");
	ck_assert_ptr_null(m);
	free(missing);
}
END_TEST

START_TEST(test_keyring)
{
	struct ora_error err = {{0}};
	struct ora_keyring *ring = NULL;
	const char *names[] = {"dev", "prod", "dev", "prod", "dev"};
	const char *with_missing[] = {"dev", "staging"};
	const struct ora_secret *a, *b;

	seal("dev", KEY_DEV);
	seal("prod", KEY_PROD);
	ck_assert_msg(
	    ora_keyring_load(master_path, state_dir, names, 5, &ring, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(ora_keyring_size(ring), 2);
	a = ora_keyring_get(ring, "dev");
	b = ora_keyring_get(ring, "prod");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_mem_eq(ora_secret_data(a), KEY_DEV, strlen(KEY_DEV));
	ck_assert_mem_eq(ora_secret_data(b), KEY_PROD, strlen(KEY_PROD));
	ck_assert_ptr_null(ora_keyring_get(ring, "staging"));
	ck_assert_ptr_null(ora_keyring_get(NULL, "dev"));
	ora_keyring_free(ring);
	ora_keyring_free(NULL);

	ck_assert_int_eq(
	    ora_keyring_load(master_path, state_dir, with_missing, 2, &ring, &err), -1);
	ck_assert_ptr_null(ring);
	ck_assert_err_has(err, "no key named 'staging'");

	ck_assert_int_eq(ora_keyring_load(master_path, state_dir, NULL, 0, &ring, &err), 0);
	ck_assert_uint_eq(ora_keyring_size(ring), 0);
	ora_keyring_free(ring);
}
END_TEST

START_TEST(test_names)
{
	ck_assert(ora_key_name_valid("dev"));
	ck_assert(ora_key_name_valid("team-a_prod.2"));
	ck_assert(!ora_key_name_valid(""));
	ck_assert(!ora_key_name_valid(".hidden"));
	ck_assert(!ora_key_name_valid("a/b"));
	ck_assert(!ora_key_name_valid("a b"));
	ck_assert(!ora_key_name_valid(NULL));
	ck_assert(
	    ora_key_name_valid("0123456789012345678901234567890123456789012345678901234567890123"));
	ck_assert(!ora_key_name_valid(
	    "01234567890123456789012345678901234567890123456789012345678901234"));
}
END_TEST

START_TEST(test_shape)
{
	struct ora_error err = {{0}};
	const char *odd = "sk-or-v2-abc";
	const char *bad = "sk-ant-api03-secret";
	const char *crlf = "sk-or-v1-abc\r\nX-Evil: 1";

	ck_assert_int_eq(
	    ora_key_check_shape((const unsigned char *)KEY_DEV, strlen(KEY_DEV), &err), 0);
	ck_assert_int_eq(ora_key_check_shape((const unsigned char *)odd, strlen(odd), &err), 1);
	ck_assert_err_has(err, "usual shape");
	ck_assert_int_eq(ora_key_check_shape((const unsigned char *)bad, strlen(bad), &err), -1);
	ck_assert_err_has(err, "does not start with \"sk-or-\"");
	ck_assert_ptr_null(strstr(err.msg, "secret"));
	ck_assert_int_eq(ora_key_check_shape((const unsigned char *)crlf, strlen(crlf), &err), -1);
	ck_assert_err_has(err, "position 13");
	ck_assert_int_eq(ora_key_check_shape((const unsigned char *)"", 0, &err), -1);
}
END_TEST

/* Feed text through a pipe to ora_secret_read. */
static int
read_from(
    const char *text, size_t max, int one_line, struct ora_secret **out, struct ora_error *err)
{
	int p[2], r;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], text, strlen(text)), (ssize_t)strlen(text));
	close(p[1]);
	r = ora_secret_read(p[0], max, one_line, out, err);
	close(p[0]);
	return r;
}

START_TEST(test_secret_read)
{
	struct ora_error err = {{0}};
	struct ora_secret *s = NULL;

	ck_assert_int_eq(read_from("abc\n", 8, 0, &s, &err), 0);
	ck_assert_uint_eq(ora_secret_len(s), 3);
	ck_assert_mem_eq(ora_secret_data(s), "abc", 3);
	ora_secret_free(s);
	ck_assert_int_eq(read_from("abc\r\n", 8, 0, &s, &err), 0);
	ck_assert_uint_eq(ora_secret_len(s), 3);
	ora_secret_free(s);
	ck_assert_int_eq(read_from("abcdefgh\n", 8, 0, &s, &err), 0); /* exactly max */
	ck_assert_uint_eq(ora_secret_len(s), 8);
	ora_secret_free(s);
	ck_assert_int_eq(read_from("line\nrest", 8, 1, &s, &err), 0);
	ck_assert_uint_eq(ora_secret_len(s), 4);
	ora_secret_free(s);
	/* Only one newline is stripped. */
	ck_assert_int_eq(read_from("abc\n\n", 8, 0, &s, &err), 0);
	ck_assert_uint_eq(ora_secret_len(s), 4);
	ora_secret_free(s);

	ck_assert_int_eq(read_from("", 8, 0, &s, &err), -1);
	ck_assert_err_has(err, "empty");
	ck_assert_int_eq(read_from("\n", 8, 0, &s, &err), -1);
	ck_assert_int_eq(read_from("abcdefghi", 8, 0, &s, &err), -1);
	ck_assert_err_has(err, "longer than 8 bytes");
	ck_assert_int_eq(read_from("abcdefghij\n", 8, 0, &s, &err), -1);
	ck_assert_ptr_null(s);
}
END_TEST

START_TEST(test_fingerprint)
{
	struct ora_error err = {{0}};
	struct ora_secret *a = NULL, *b = NULL;
	unsigned char hash[crypto_generichash_BYTES];
	char fa[ORA_KEY_FINGERPRINT_HEX + 1], fb[ORA_KEY_FINGERPRINT_HEX + 1], want[65];

	seal("dev", KEY_DEV);
	seal("prod", KEY_PROD);
	ck_assert_int_eq(ora_key_open(master, state_dir, "dev", &a, &err), 0);
	ck_assert_int_eq(ora_key_open(master, state_dir, "prod", &b, &err), 0);
	ora_key_fingerprint(a, fa);
	ora_key_fingerprint(b, fb);
	crypto_generichash(
	    hash, sizeof(hash), (const unsigned char *)KEY_DEV, strlen(KEY_DEV), NULL, 0);
	sodium_bin2hex(want, sizeof(want), hash, sizeof(hash));
	ck_assert_uint_eq(strlen(fa), ORA_KEY_FINGERPRINT_HEX);
	ck_assert(strncmp(fa, want, ORA_KEY_FINGERPRINT_HEX) == 0);
	ck_assert_str_ne(fa, fb);
	ora_secret_free(a);
	ora_secret_free(b);
}
END_TEST

static Suite *
keystore_suite(void)
{
	Suite *s = suite_create("keystore");
	TCase *tc = tcase_create("keystore");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_renamed_file_fails);
	tcase_add_test(tc, test_tampered_fails);
	tcase_add_test(tc, test_wrong_master_fails);
	tcase_add_test(tc, test_too_open_refused);
	tcase_add_test(tc, test_symlink_refused);
	tcase_add_test(tc, test_not_regular_refused);
	tcase_add_test(tc, test_missing_key);
	tcase_add_test(tc, test_wrong_owner);
	tcase_add_test(tc, test_root_adopts_dir_owner);
	tcase_add_test(tc, test_master_create);
	tcase_add_test(tc, test_master_load_checks);
	tcase_add_test(tc, test_keyring);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_shape);
	tcase_add_test(tc, test_secret_read);
	tcase_add_test(tc, test_fingerprint);
	tcase_add_test(tc, test_management_key_apart);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(keystore_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
