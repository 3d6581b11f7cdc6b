/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * keystore.h: upstream keys encrypted at rest, and held in locked memory.
 *
 * The master key is 32 random bytes in a root-only file. Each upstream key
 * lives in state_dir/keys/NAME.key, sealed with XChaCha20-Poly1305 (libsodium
 * crypto_aead_xchacha20poly1305_ietf) under the master key with a random
 * nonce and the key's NAME as associated data, so a file renamed to another
 * key's name fails to decrypt instead of silently swapping keys.
 *
 * Every file is checked on its open descriptor before it is trusted: owned by
 * the effective uid and no group or other permission bits. A failure names
 * the file and the exact chmod/chown to run.
 *
 * Plaintext keys exist only in sodium_malloc() memory (guarded, locked,
 * wiped on free) inside struct ora_secret.
 */
#ifndef ORA_KEYSTORE_H
#define ORA_KEYSTORE_H

#include <stddef.h>

#include "common/util.h"

#define ORA_MASTER_KEY_BYTES 32
#define ORA_UPSTREAM_KEY_MAX 512 /* longest upstream key accepted */

struct ora_secret; /* opaque: a secret in sodium_malloc'd memory */

const unsigned char *ora_secret_data(const struct ora_secret *s);
size_t ora_secret_len(const struct ora_secret *s);
void ora_secret_free(struct ora_secret *s);

/* Must be called once before any other function here (sodium_init). */
int ora_keystore_init(struct ora_error *err);

/* Create a new random master key at path (mode 0600). Refuses to replace an
 * existing file unless force is set. */
int ora_master_key_create(const char *path, int force, struct ora_error *err);

/* Read and check the master key. */
int ora_master_key_load(const char *path, struct ora_secret **out, struct ora_error *err);

/* The systemd credential that may hold the master key instead of a file
 * (LoadCredential= or LoadCredentialEncrypted=ora-master-key:...). */
#define ORA_MASTER_KEY_CREDENTIAL "ora-master-key"

/* The master key from $CREDENTIALS_DIRECTORY/ora-master-key when the
 * process was started with that systemd credential, else from
 * configured_path (daemon.master_key). */
int ora_master_key_load_configured(const char *configured_path, struct ora_secret **out,
    struct ora_error *err);

/* Name rules for keys: 1-64 chars of [A-Za-z0-9_.-], not starting with '.'. */
int ora_key_name_valid(const char *name);

/* Seal plaintext (len bytes) as state_dir/keys/NAME.key, atomically (write a
 * temporary file, fsync, rename), creating state_dir/keys 0700 if needed. */
int ora_key_seal(const struct ora_secret *master, const char *state_dir,
    const char *name, const unsigned char *plaintext, size_t len,
    struct ora_error *err);

/* Open and decrypt state_dir/keys/NAME.key into *out. */
int ora_key_open(const struct ora_secret *master, const char *state_dir,
    const char *name, struct ora_secret **out, struct ora_error *err);

/* A set of opened keys, by name. */
struct ora_keyring;

/* Open every name in names (duplicates allowed). Fails naming the first key
 * that is missing, unreadable, too open or does not decrypt. */
int ora_keyring_load(const char *master_key_path, const char *state_dir,
    const char *const *names, size_t n_names, struct ora_keyring **out,
    struct ora_error *err);

/* The key called name, or NULL. */
const struct ora_secret *ora_keyring_get(const struct ora_keyring *ring, const char *name);

void ora_keyring_free(struct ora_keyring *ring);

/*
 * Additions for oractl and for orad's logs.
 *
 * Ownership when root: orad reads keys at start as root and again at reload
 * after dropping to its own user, while oractl writes them as root. So when
 * the effective uid is 0, a key file owned by the owner of its keys/
 * directory is accepted too, and a key file (or keys/ directory) that root
 * creates takes the owner of the directory it is created in. Any other uid
 * accepts only files it owns.
 *
 * File format of NAME.key (version 1), all of it binary:
 *   "ORAKEY" | version 0x01 | algorithm 0x01 (XChaCha20-Poly1305 IETF)
 *   | 24-byte nonce | ciphertext with its 16-byte tag
 * The associated data is the 8 header bytes followed by NAME.
 */

#define ORA_KEY_FINGERPRINT_HEX 8 /* hex digits shown by `oractl key list` */

/* state_dir/keys and state_dir/keys/NAME.key, newly allocated. */
char *ora_key_dir(const char *state_dir);
char *ora_key_path(const char *state_dir, const char *name);

/* Read a secret from fd straight into locked memory: up to end of file, or
 * up to the first newline when one_line is set. One trailing newline ("\n"
 * or "\r\n") is removed. Fails when nothing is left or it is longer than
 * max bytes. */
int ora_secret_read(int fd, size_t max, int one_line, struct ora_secret **out,
    struct ora_error *err);

/* Copy len bytes (a key that arrived some other way, such as a key
 * OpenRouter just created) into a new secret in locked memory. The caller
 * wipes its own copy. */
int ora_secret_copy(const void *data, size_t len, struct ora_secret **out, struct ora_error *err);

/* Check that key looks like an OpenRouter API key. Returns 0 for the current
 * shape (sk-or-v1- and 64 hex digits); 1 for another sk-or- form, with a
 * warning in err; -1 with the reason in err for anything else, including any
 * byte outside printable ASCII, since the key is sent in an HTTP header. The
 * key itself is never quoted in err. */
int ora_key_check_shape(const unsigned char *key, size_t len, struct ora_error *err);

/* The first ORA_KEY_FINGERPRINT_HEX hex digits of BLAKE2b-256 of the key
 * (crypto_generichash; the same as `b2sum -l 256`), so admins can compare
 * keys without seeing them. out must hold ORA_KEY_FINGERPRINT_HEX + 1. */
void ora_key_fingerprint(const struct ora_secret *key, char *out);

/* ora_keyring_load with a master key already in memory: for orad, which
 * keeps the master key to open keys again at reload after dropping root. */
int ora_keyring_open(const struct ora_secret *master, const char *state_dir,
    const char *const *names, size_t n_names, struct ora_keyring **out,
    struct ora_error *err);

/* "Authorization: Bearer KEY" for key name, NUL-terminated, in locked
 * read-only memory owned by ring (valid until ora_keyring_free), or NULL. */
const char *ora_keyring_auth_header(const struct ora_keyring *ring, const char *name);

/* How many distinct keys ring holds (each name is opened once). */
size_t ora_keyring_size(const struct ora_keyring *ring);

/*
 * OpenRouter management ("provisioning") keys, and what ora remembers about
 * keys it provisioned.
 *
 * A management key can only create and manage keys; it never serves a
 * request. It is sealed like an upstream key but as state_dir/keys/
 * NAME.management, with "management:NAME" instead of NAME in the associated
 * data. orad only ever opens NAME.key, so no configuration can make it send
 * a management key upstream, and a management key's file renamed to
 * NAME.key does not decrypt.
 */
enum ora_key_kind {
	ORA_KEY_UPSTREAM = 0,   /* state_dir/keys/NAME.key: serves requests */
	ORA_KEY_MANAGEMENT = 1, /* state_dir/keys/NAME.management: manages keys */
};

char *ora_key_path_kind(const char *state_dir, enum ora_key_kind kind, const char *name);
int ora_key_seal_kind(const struct ora_secret *master, const char *state_dir,
    enum ora_key_kind kind, const char *name, const unsigned char *plaintext, size_t len,
    struct ora_error *err);
int ora_key_open_kind(const struct ora_secret *master, const char *state_dir,
    enum ora_key_kind kind, const char *name, struct ora_secret **out, struct ora_error *err);
/* 1 when state_dir/keys/NAME.management exists. */
int ora_key_is_management(const char *state_dir, const char *name);

/* state_dir/keys/NAME.meta: a small text (JSON, written by oractl) about a
 * key that is not secret: for a provisioned key its OpenRouter hash, limit
 * and label. Written atomically with the same checks and ownership as key
 * files. read returns 0 with *text (free it), 1 when there is none, -1 with
 * err. remove returns 0 when it is gone (or never was). */
int ora_key_meta_write(
    const char *state_dir, const char *name, const char *text, struct ora_error *err);
int ora_key_meta_read(const char *state_dir, const char *name, char **text, struct ora_error *err);
int ora_key_meta_remove(const char *state_dir, const char *name);

#endif
