/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * keystore.c: the master key, and upstream keys sealed under it.
 *
 * See keystore.h for the contract and the file format. Plaintext keys live
 * only in struct ora_secret (secret.c). Sealed files and their ciphertext
 * are not secret and use the normal heap.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/util.h"
#include "keys/keystore.h"
#include "keys/secfile.h"
#include "keys/secret.h"

#define KEY_DIR_NAME "keys"
#define KEY_SUFFIX ".key"
#define KEY_MANAGEMENT_SUFFIX ".management"
#define KEY_META_SUFFIX ".meta"
#define KEY_META_MAX 4096
/* Prefixed to a management key's name in its associated data: no key name
 * contains ':', so a management key's file renamed to NAME.key cannot
 * decrypt as an upstream key. */
#define KEY_MANAGEMENT_AD "management:"
#define KEY_NAME_MAX 64

/* Version 1 of NAME.key; see keystore.h. */
#define KEY_MAGIC "ORAKEY"
#define KEY_MAGIC_LEN 6
#define KEY_VERSION 0x01
#define KEY_ALG_XCHACHA20POLY1305 0x01
#define KEY_HEADER_LEN 8
#define KEY_NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define KEY_TAG_LEN crypto_aead_xchacha20poly1305_ietf_ABYTES
#define KEY_OVERHEAD (KEY_HEADER_LEN + KEY_NONCE_LEN + KEY_TAG_LEN)
#define KEY_FILE_MAX (KEY_OVERHEAD + ORA_UPSTREAM_KEY_MAX)

#define SHAPE_PREFIX "sk-or-"
#define SHAPE_CURRENT_PREFIX "sk-or-v1-"
#define SHAPE_CURRENT_HEX 64

int
ora_keystore_init(struct ora_error *err)
{
	if (sodium_init() < 0)
		return ora_error_set(err, "cannot initialise libsodium");
	return 0;
}

/* Split path into its directory and last component. */
static void
split_path(const char *path, char **dir, char **base)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL) {
		*dir = ora_xstrdup(".");
		*base = ora_xstrdup(path);
	} else if (slash == path) {
		*dir = ora_xstrdup("/");
		*base = ora_xstrdup(slash + 1);
	} else {
		*dir = ora_xstrdup(path);
		(*dir)[slash - path] = '\0';
		*base = ora_xstrdup(slash + 1);
	}
}

int
ora_master_key_create(const char *path, int force, struct ora_error *err)
{
	char *dir = NULL, *base = NULL;
	unsigned char *key = NULL;
	struct stat st;
	int dirfd = -1, ret = -1;

	split_path(path, &dir, &base);
	if (*base == '\0') {
		ora_error_set(err, "master key path %s names a directory, not a file", path);
		goto out;
	}
	if (ora_secfile_dir_open(dir, 0, &dirfd, &st, err) != 0)
		goto out;
	if ((key = sodium_malloc(ORA_MASTER_KEY_BYTES)) == NULL) {
		ora_error_set(err, "cannot allocate guarded memory for the master key");
		goto out;
	}
	randombytes_buf(key, ORA_MASTER_KEY_BYTES);
	/* Without force, O_EXCL is the existence check: nothing can appear
	 * between a check and the creation. The master key stays owned by
	 * whoever creates it (root): orad reads it before dropping privileges. */
	if (ora_secfile_write(dirfd, dir, base, key, ORA_MASTER_KEY_BYTES, force,
	        ORA_SECFILE_NO_OWNER, (gid_t)-1, err) != 0) {
		if (errno == EEXIST)
			ora_error_set(err,
			    "%s exists; refusing to replace it: every stored key would become "
			    "unreadable. Use --force to replace it anyway",
			    path);
		goto out;
	}
	ret = 0;
out:
	sodium_free(key);
	if (dirfd != -1)
		close(dirfd);
	free(dir);
	free(base);
	return ret;
}

int
ora_master_key_load(const char *path, struct ora_secret **out, struct ora_error *err)
{
	struct ora_secret *key = NULL;
	struct stat st;
	int fd = -1, ret = -1;

	*out = NULL;
	if (ora_secfile_open(AT_FDCWD, path, path, ORA_SECFILE_NO_OWNER, &fd, &st, err) != 0) {
		if (errno == ENOENT)
			ora_error_set(err,
			    "master key %s does not exist: create it with `oractl init`", path);
		goto out;
	}
	if (st.st_size != ORA_MASTER_KEY_BYTES) {
		ora_error_set(err,
		    "master key %s is %lld bytes, not %d: it is not an ora master key (create one "
		    "with `oractl init`)",
		    path, (long long)st.st_size, ORA_MASTER_KEY_BYTES);
		goto out;
	}
	if ((key = ora_secret_new(ORA_MASTER_KEY_BYTES, err)) == NULL)
		goto out;
	if (ora_secfile_read(fd, path, key->data, key->len, err) != 0)
		goto out;
	ora_secret_protect(key);
	*out = key;
	key = NULL;
	ret = 0;
out:
	ora_secret_free(key);
	if (fd != -1)
		close(fd);
	return ret;
}

int
ora_key_name_valid(const char *name)
{
	size_t i, len;

	if (name == NULL || name[0] == '\0' || name[0] == '.')
		return 0;
	len = strlen(name);
	if (len > KEY_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		        c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

static int
key_name_check(const char *name, struct ora_error *err)
{
	if (ora_key_name_valid(name))
		return 0;
	return ora_error_set(err,
	    "'%s' is not a valid key name: use 1-%d letters, digits, '_', '.' or '-', not "
	    "starting with '.'",
	    name == NULL ? "" : name, KEY_NAME_MAX);
}

char *
ora_key_dir(const char *state_dir)
{
	return ora_xasprintf("%s/" KEY_DIR_NAME, state_dir);
}

static const char *
key_suffix(enum ora_key_kind kind)
{
	return kind == ORA_KEY_MANAGEMENT ? KEY_MANAGEMENT_SUFFIX : KEY_SUFFIX;
}

char *
ora_key_path_kind(const char *state_dir, enum ora_key_kind kind, const char *name)
{
	return ora_xasprintf("%s/" KEY_DIR_NAME "/%s%s", state_dir, name, key_suffix(kind));
}

char *
ora_key_path(const char *state_dir, const char *name)
{
	return ora_key_path_kind(state_dir, ORA_KEY_UPSTREAM, name);
}

/* Associated data: the header, so it cannot be altered, and the name, so a
 * file copied to another key's name does not decrypt. */
static unsigned char *
key_ad(const unsigned char *header, enum ora_key_kind kind, const char *name, size_t *len)
{
	const char *prefix = kind == ORA_KEY_MANAGEMENT ? KEY_MANAGEMENT_AD : "";
	size_t plen = strlen(prefix), nlen = strlen(name);
	unsigned char *ad = ora_xmalloc(KEY_HEADER_LEN + plen + nlen);

	memcpy(ad, header, KEY_HEADER_LEN);
	memcpy(ad + KEY_HEADER_LEN, prefix, plen);
	memcpy(ad + KEY_HEADER_LEN + plen, name, nlen);
	*len = KEY_HEADER_LEN + plen + nlen;
	return ad;
}

static void
key_header(unsigned char *header)
{
	memcpy(header, KEY_MAGIC, KEY_MAGIC_LEN);
	header[KEY_MAGIC_LEN] = KEY_VERSION;
	header[KEY_MAGIC_LEN + 1] = KEY_ALG_XCHACHA20POLY1305;
}

/* Open (creating if needed) state_dir/keys and check it. When root creates
 * it inside a state directory owned by the daemon user, it goes to that user
 * too, so orad can still read keys after dropping privileges. */
static int
key_dir_open(const char *state_dir, int create, int *fdp, struct stat *st, struct ora_error *err)
{
	char *dir = ora_key_dir(state_dir);
	struct stat sst;
	int sfd = -1, ret = -1;

	*fdp = -1;
	if (create) {
		if (ora_secfile_dir_open(state_dir, 0, &sfd, &sst, err) != 0) {
			if (errno == ENOENT)
				ora_error_set(err,
				    "state directory %s does not exist: create it with `oractl "
				    "init`",
				    state_dir);
			goto out;
		}
		if (mkdirat(sfd, KEY_DIR_NAME, 0700) == 0) {
			if (geteuid() == 0 && sst.st_uid != 0 &&
			    fchownat(sfd, KEY_DIR_NAME, sst.st_uid, sst.st_gid,
			        AT_SYMLINK_NOFOLLOW) == -1) {
				ora_error_set(err, "cannot give %s to uid %lu: %s", dir,
				    (unsigned long)sst.st_uid, strerror(errno));
				goto out;
			}
		} else if (errno != EEXIST) {
			ora_error_set(err, "cannot create %s: %s", dir, strerror(errno));
			goto out;
		}
	}
	if (ora_secfile_dir_open(dir, 1, fdp, st, err) != 0)
		goto out;
	if (ora_secfile_dir_check(dir, st, err) != 0) {
		close(*fdp);
		*fdp = -1;
		goto out;
	}
	ret = 0;
out:
	if (sfd != -1)
		close(sfd);
	free(dir);
	return ret;
}

int
ora_key_seal(const struct ora_secret *master, const char *state_dir, const char *name,
    const unsigned char *plaintext, size_t len, struct ora_error *err)
{
	return ora_key_seal_kind(master, state_dir, ORA_KEY_UPSTREAM, name, plaintext, len, err);
}

int
ora_key_seal_kind(const struct ora_secret *master, const char *state_dir, enum ora_key_kind kind,
    const char *name, const unsigned char *plaintext, size_t len, struct ora_error *err)
{
	unsigned char *file = NULL, *ad = NULL;
	char *dir = NULL, *base = NULL;
	unsigned long long clen;
	size_t adlen, flen;
	struct stat st;
	uid_t owner = ORA_SECFILE_NO_OWNER;
	gid_t group = (gid_t)-1;
	int dirfd = -1, ret = -1;

	if (key_name_check(name, err) != 0)
		goto out;
	if (master == NULL || master->len != ORA_MASTER_KEY_BYTES) {
		ora_error_set(err, "cannot seal key '%s': no valid master key", name);
		goto out;
	}
	if (len == 0 || len > ORA_UPSTREAM_KEY_MAX) {
		ora_error_set(err, "cannot seal key '%s': it is %zu bytes, expected 1 to %d", name,
		    len, ORA_UPSTREAM_KEY_MAX);
		goto out;
	}
	if (key_dir_open(state_dir, 1, &dirfd, &st, err) != 0)
		goto out;
	/* See keystore.h: files root writes belong to the keys/ owner. */
	if (geteuid() == 0 && st.st_uid != 0) {
		owner = st.st_uid;
		group = st.st_gid;
	}

	flen = KEY_OVERHEAD + len;
	file = ora_xmalloc(flen);
	key_header(file);
	/* A fresh random 192-bit nonce per seal: XChaCha20's nonce is large
	 * enough that random nonces never collide in practice. */
	randombytes_buf(file + KEY_HEADER_LEN, KEY_NONCE_LEN);
	ad = key_ad(file, kind, name, &adlen);
	crypto_aead_xchacha20poly1305_ietf_encrypt(file + KEY_HEADER_LEN + KEY_NONCE_LEN, &clen,
	    plaintext, len, ad, adlen, NULL, file + KEY_HEADER_LEN, master->data);

	dir = ora_key_dir(state_dir);
	base = ora_xasprintf("%s%s", name, key_suffix(kind));
	if (ora_secfile_write(dirfd, dir, base, file, flen, 1, owner, group, err) != 0)
		goto out;
	ret = 0;
out:
	if (dirfd != -1)
		close(dirfd);
	free(file);
	free(ad);
	free(dir);
	free(base);
	return ret;
}

int
ora_key_is_management(const char *state_dir, const char *name)
{
	char *path = ora_key_path_kind(state_dir, ORA_KEY_MANAGEMENT, name);
	struct stat st;
	int found = lstat(path, &st) == 0;

	free(path);
	return found;
}

int
ora_key_open(const struct ora_secret *master, const char *state_dir, const char *name,
    struct ora_secret **out, struct ora_error *err)
{
	return ora_key_open_kind(master, state_dir, ORA_KEY_UPSTREAM, name, out, err);
}

int
ora_key_open_kind(const struct ora_secret *master, const char *state_dir, enum ora_key_kind kind,
    const char *name, struct ora_secret **out, struct ora_error *err)
{
	struct ora_secret *key = NULL;
	unsigned char *file = NULL, *ad = NULL;
	char *path = NULL, *base = NULL;
	struct stat dst, st;
	size_t adlen, flen;
	int dirfd = -1, fd = -1, ret = -1;

	*out = NULL;
	if (key_name_check(name, err) != 0)
		goto out;
	path = ora_key_path_kind(state_dir, kind, name);
	if (master == NULL || master->len != ORA_MASTER_KEY_BYTES) {
		ora_error_set(err, "cannot open key '%s': no valid master key", name);
		goto out;
	}
	if (key_dir_open(state_dir, 0, &dirfd, &dst, err) != 0) {
		if (errno == ENOENT)
			goto missing;
		goto out;
	}
	base = ora_xasprintf("%s%s", name, key_suffix(kind));
	if (ora_secfile_open(dirfd, base, path, geteuid() == 0 ? dst.st_uid : ORA_SECFILE_NO_OWNER,
	        &fd, &st, err) != 0) {
		if (errno == ENOENT)
			goto missing;
		goto out;
	}
	if (st.st_size < (off_t)(KEY_OVERHEAD + 1)) {
		ora_error_set(err,
		    "key '%s' (%s) is corrupt: %lld bytes is too short for a sealed key; add it "
		    "again with `oractl key add --force %s`",
		    name, path, (long long)st.st_size, name);
		goto out;
	}
	if (st.st_size > (off_t)KEY_FILE_MAX) {
		ora_error_set(err,
		    "key '%s' (%s) is corrupt: %lld bytes is too long for a sealed key", name, path,
		    (long long)st.st_size);
		goto out;
	}
	flen = (size_t)st.st_size;
	file = ora_xmalloc(flen);
	if (ora_secfile_read(fd, path, file, flen, err) != 0)
		goto out;
	if (memcmp(file, KEY_MAGIC, KEY_MAGIC_LEN) != 0) {
		ora_error_set(
		    err, "key '%s' (%s) is not an ora key file: its header is wrong", name, path);
		goto out;
	}
	if (file[KEY_MAGIC_LEN] != KEY_VERSION ||
	    file[KEY_MAGIC_LEN + 1] != KEY_ALG_XCHACHA20POLY1305) {
		ora_error_set(err,
		    "key '%s' (%s) has format version %u.%u, which this ora does not know "
		    "(it writes %u.%u): was it written by a newer ora?",
		    name, path, file[KEY_MAGIC_LEN], file[KEY_MAGIC_LEN + 1], KEY_VERSION,
		    KEY_ALG_XCHACHA20POLY1305);
		goto out;
	}
	if ((key = ora_secret_new(flen - KEY_OVERHEAD, err)) == NULL)
		goto out;
	ad = key_ad(file, kind, name, &adlen);
	/* Decrypt straight into locked memory: the plaintext never exists
	 * anywhere else. */
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(key->data, NULL, NULL,
	        file + KEY_HEADER_LEN + KEY_NONCE_LEN, flen - KEY_HEADER_LEN - KEY_NONCE_LEN, ad,
	        adlen, file + KEY_HEADER_LEN, master->data) != 0) {
		ora_error_set(err,
		    "key '%s' (%s) does not decrypt with the master key: was it sealed under "
		    "another master key, or renamed from another key's file? Add it again with "
		    "`oractl key add --force %s`",
		    name, path, name);
		goto out;
	}
	ora_secret_protect(key);
	*out = key;
	key = NULL;
	ret = 0;
	goto out;

missing:
	if (kind == ORA_KEY_MANAGEMENT)
		ora_error_set(err,
		    "no management key named '%s' (%s does not exist): add it with `oractl key "
		    "add --management %s`",
		    name, path, name);
	else if (ora_key_is_management(state_dir, name))
		/* The one way a management key could be asked to serve
		 * completions is a cost centre naming it: say why it cannot. */
		ora_error_set(err,
		    "key '%s' is an OpenRouter management key: it can only create and manage "
		    "keys, never serve requests. Name a key made with `oractl key provision` "
		    "instead",
		    name);
	else
		ora_error_set(err,
		    "no key named '%s' (%s does not exist): add it with `oractl key add %s`", name,
		    path, name);
out:
	ora_secret_free(key);
	if (fd != -1)
		close(fd);
	if (dirfd != -1)
		close(dirfd);
	free(file);
	free(ad);
	free(path);
	free(base);
	return ret;
}

static int
is_lower_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int
ora_key_check_shape(const unsigned char *key, size_t len, struct ora_error *err)
{
	size_t i, plen = strlen(SHAPE_CURRENT_PREFIX);

	if (len == 0)
		return ora_error_set(err, "the key is empty");
	/* The key goes into an HTTP header: a space, CR, LF or other control
	 * byte there could split or forge headers. Only the position is
	 * reported, never the key. */
	for (i = 0; i < len; i++)
		if (key[i] < 0x21 || key[i] > 0x7e)
			return ora_error_set(err,
			    "the key contains a space, control character or non-ASCII byte "
			    "(at position %zu): OpenRouter keys are printable ASCII",
			    i + 1);
	if (len < strlen(SHAPE_PREFIX) || memcmp(key, SHAPE_PREFIX, strlen(SHAPE_PREFIX)) != 0)
		return ora_error_set(err,
		    "the key does not start with \"" SHAPE_PREFIX "\": it is not an OpenRouter "
		    "API key");
	if (len == plen + SHAPE_CURRENT_HEX && memcmp(key, SHAPE_CURRENT_PREFIX, plen) == 0) {
		for (i = plen; i < len && is_lower_hex(key[i]); i++)
			;
		if (i == len)
			return 0;
	}
	ora_error_set(err,
	    "the key does not have the usual shape (" SHAPE_CURRENT_PREFIX
	    " and %d hex digits, %zu characters in all; this one has %zu); storing it anyway",
	    SHAPE_CURRENT_HEX, plen + SHAPE_CURRENT_HEX, len);
	return 1;
}

int
ora_master_key_load_configured(const char *configured_path, struct ora_secret **out,
    struct ora_error *err)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	char *path;
	int r;

	/* A credential lives in a directory systemd makes for this service
	 * alone, so the key never needs to be a file on disk in the clear. */
	if (dir != NULL && *dir == '/') {
		path = ora_xasprintf("%s/%s", dir, ORA_MASTER_KEY_CREDENTIAL);
		if (access(path, F_OK) == 0) {
			r = ora_master_key_load(path, out, err);
			free(path);
			return r;
		}
		free(path);
	}
	return ora_master_key_load(configured_path, out, err);
}

int
ora_key_meta_write(const char *state_dir, const char *name, const char *text, struct ora_error *err)
{
	char *dir = NULL, *base = NULL;
	uid_t owner = ORA_SECFILE_NO_OWNER;
	gid_t group = (gid_t)-1;
	struct stat st;
	int dirfd = -1, ret = -1;

	if (key_name_check(name, err) != 0)
		goto out;
	if (strlen(text) > KEY_META_MAX) {
		ora_error_set(
		    err, "the description of key '%s' is longer than %d bytes", name, KEY_META_MAX);
		goto out;
	}
	if (key_dir_open(state_dir, 1, &dirfd, &st, err) != 0)
		goto out;
	if (geteuid() == 0 && st.st_uid != 0) {
		owner = st.st_uid;
		group = st.st_gid;
	}
	dir = ora_key_dir(state_dir);
	base = ora_xasprintf("%s" KEY_META_SUFFIX, name);
	ret = ora_secfile_write(dirfd, dir, base, text, strlen(text), 1, owner, group, err);
out:
	if (dirfd != -1)
		close(dirfd);
	free(dir);
	free(base);
	return ret;
}

int
ora_key_meta_read(const char *state_dir, const char *name, char **text, struct ora_error *err)
{
	char *path = NULL, *base = NULL, *buf = NULL;
	struct stat dst, st;
	int dirfd = -1, fd = -1, ret = -1;

	*text = NULL;
	if (key_name_check(name, err) != 0)
		goto out;
	path = ora_xasprintf("%s/" KEY_DIR_NAME "/%s" KEY_META_SUFFIX, state_dir, name);
	if (key_dir_open(state_dir, 0, &dirfd, &dst, err) != 0) {
		ret = errno == ENOENT ? 1 : -1;
		goto out;
	}
	base = ora_xasprintf("%s" KEY_META_SUFFIX, name);
	if (ora_secfile_open(dirfd, base, path, geteuid() == 0 ? dst.st_uid : ORA_SECFILE_NO_OWNER,
	        &fd, &st, err) != 0) {
		ret = errno == ENOENT ? 1 : -1;
		goto out;
	}
	if (st.st_size > (off_t)KEY_META_MAX) {
		ora_error_set(err, "%s is larger than %d bytes: it is not a key description", path,
		    KEY_META_MAX);
		goto out;
	}
	buf = ora_xmalloc((size_t)st.st_size + 1);
	if (ora_secfile_read(fd, path, (unsigned char *)buf, (size_t)st.st_size, err) != 0)
		goto out;
	buf[st.st_size] = '\0';
	*text = buf;
	buf = NULL;
	ret = 0;
out:
	if (fd != -1)
		close(fd);
	if (dirfd != -1)
		close(dirfd);
	free(buf);
	free(path);
	free(base);
	return ret;
}

int
ora_key_meta_remove(const char *state_dir, const char *name)
{
	char *path;
	int r;

	if (!ora_key_name_valid(name))
		return -1;
	path = ora_xasprintf("%s/" KEY_DIR_NAME "/%s" KEY_META_SUFFIX, state_dir, name);
	r = unlink(path) == 0 || errno == ENOENT ? 0 : -1;
	free(path);
	return r;
}
