/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * keyring.c: the set of upstream keys orad holds, opened once per name.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "common/util.h"
#include "keys/keystore.h"
#include "keys/secret.h"

struct ora_keyring {
	char **names;
	struct ora_secret **keys;
	struct ora_secret **auth; /* "Authorization: Bearer KEY", NUL-terminated */
	size_t n;
};

#define AUTH_PREFIX "Authorization: Bearer "

/* The header line built once, in locked memory, so that sending a request
 * costs no allocation of guarded pages (each is several system calls). */
static struct ora_secret *
auth_header(const struct ora_secret *key, struct ora_error *err)
{
	size_t prefix = sizeof(AUTH_PREFIX) - 1;
	struct ora_secret *h = ora_secret_new(prefix + key->len + 1, err);

	if (h == NULL)
		return NULL;
	memcpy(h->data, AUTH_PREFIX, prefix);
	memcpy(h->data + prefix, key->data, key->len);
	h->data[prefix + key->len] = '\0';
	h->len = prefix + key->len;
	ora_secret_protect(h);
	return h;
}

/* Linear: a configuration names a handful of keys, and lookups happen once
 * per request against an array that fits in a cache line or two. */
static ssize_t
keyring_find(const struct ora_keyring *ring, const char *name)
{
	size_t i;

	for (i = 0; i < ring->n; i++)
		if (strcmp(ring->names[i], name) == 0)
			return (ssize_t)i;
	return -1;
}

int
ora_keyring_open(const struct ora_secret *master, const char *state_dir, const char *const *names,
    size_t n_names, struct ora_keyring **out, struct ora_error *err)
{
	struct ora_keyring *ring = ora_xcalloc(1, sizeof(*ring));
	struct ora_secret *key = NULL;
	size_t i;
	int ret = -1;

	*out = NULL;
	ring->names = ora_xcalloc(n_names, sizeof(*ring->names));
	ring->keys = ora_xcalloc(n_names, sizeof(*ring->keys));
	ring->auth = ora_xcalloc(n_names, sizeof(*ring->auth));
	for (i = 0; i < n_names; i++) {
		if (names[i] == NULL) {
			ora_error_set(err, "key name %zu of %zu is missing", i + 1, n_names);
			goto out;
		}
		/* Many cost centres may share a key; open (and hold) it once. */
		if (keyring_find(ring, names[i]) != -1)
			continue;
		if (ora_key_open(master, state_dir, names[i], &key, err) != 0)
			goto out;
		if ((ring->auth[ring->n] = auth_header(key, err)) == NULL)
			goto out;
		ring->names[ring->n] = ora_xstrdup(names[i]);
		ring->keys[ring->n] = key;
		ring->n++;
		key = NULL;
	}
	*out = ring;
	ring = NULL;
	ret = 0;
out:
	ora_secret_free(key);
	ora_keyring_free(ring);
	return ret;
}

int
ora_keyring_load(const char *master_key_path, const char *state_dir, const char *const *names,
    size_t n_names, struct ora_keyring **out, struct ora_error *err)
{
	struct ora_secret *master = NULL;
	int ret = -1;

	*out = NULL;
	/* Here the master key is needed only while the keys are opened: it is
	 * wiped before this returns. No names, no master key needed. */
	if (n_names > 0 && ora_master_key_load(master_key_path, &master, err) != 0)
		goto out;
	ret = ora_keyring_open(master, state_dir, names, n_names, out, err);
out:
	ora_secret_free(master);
	return ret;
}

const struct ora_secret *
ora_keyring_get(const struct ora_keyring *ring, const char *name)
{
	ssize_t i;

	if (ring == NULL || name == NULL)
		return NULL;
	if ((i = keyring_find(ring, name)) == -1)
		return NULL;
	return ring->keys[i];
}

void
ora_keyring_free(struct ora_keyring *ring)
{
	size_t i;

	if (ring == NULL)
		return;
	for (i = 0; i < ring->n; i++) {
		free(ring->names[i]);
		ora_secret_free(ring->keys[i]);
		ora_secret_free(ring->auth[i]);
	}
	free(ring->names);
	free(ring->keys);
	free(ring->auth);
	free(ring);
}

const char *
ora_keyring_auth_header(const struct ora_keyring *ring, const char *name)
{
	ssize_t i;

	if (ring == NULL || name == NULL || (i = keyring_find(ring, name)) == -1)
		return NULL;
	return (const char *)ring->auth[i]->data;
}

size_t
ora_keyring_size(const struct ora_keyring *ring)
{
	return ring == NULL ? 0 : ring->n;
}
