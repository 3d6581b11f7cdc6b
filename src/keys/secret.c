/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * secret.c: secrets in memory, and reading one from a descriptor.
 *
 * Plaintext keys live only in sodium_malloc() memory: guarded pages, locked
 * against swap, left out of core dumps, read-only once filled and wiped by
 * sodium_free(). The struct around them holds only a pointer and a length.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "common/util.h"
#include "keys/keystore.h"
#include "keys/secret.h"

struct ora_secret *
ora_secret_new(size_t len, struct ora_error *err)
{
	struct ora_secret *s = ora_xcalloc(1, sizeof(*s));
	int saved;

	s->data = sodium_malloc(len == 0 ? 1 : len);
	if (s->data == NULL) {
		saved = errno;
		free(s);
		ora_error_set(err, "cannot allocate %zu bytes of guarded memory for a key: %s", len,
		    strerror(saved));
		return NULL;
	}
	s->len = len;
	return s;
}

void
ora_secret_protect(struct ora_secret *s)
{
	sodium_mprotect_readonly(s->data);
}

const unsigned char *
ora_secret_data(const struct ora_secret *s)
{
	return s->data;
}

size_t
ora_secret_len(const struct ora_secret *s)
{
	return s->len;
}

void
ora_secret_free(struct ora_secret *s)
{
	if (s == NULL)
		return;
	sodium_free(s->data); /* wipes, even when read-only */
	free(s);
}

int
ora_secret_read(int fd, size_t max, int one_line, struct ora_secret **out, struct ora_error *err)
{
	struct ora_secret *s = NULL;
	size_t cap = max + 2, len = 0; /* room for "\r\n" */
	unsigned char *nl, probe;
	ssize_t n;
	int ret = -1;

	*out = NULL;
	/* Read straight into locked memory: stdio would keep a copy in an
	 * unlocked buffer that is never wiped. */
	if ((s = ora_secret_new(cap, err)) == NULL)
		goto out;
	for (;;) {
		if (len == cap) {
			if (one_line)
				break;
			/* One byte more than fits tells "too long" from "exactly full". */
			do
				n = read(fd, &probe, 1);
			while (n == -1 && errno == EINTR);
			sodium_memzero(&probe, sizeof(probe));
			if (n > 0)
				len = cap + 1;
			break;
		}
		n = read(fd, s->data + len, cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			ora_error_set(err, "cannot read the key: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (one_line && (nl = memchr(s->data + len, '\n', (size_t)n)) != NULL) {
			len = (size_t)(nl - s->data) + 1;
			break;
		}
		len += (size_t)n;
	}
	if (len <= cap && len > 0 && s->data[len - 1] == '\n') {
		len--;
		if (len > 0 && s->data[len - 1] == '\r')
			len--;
	}
	if (len == 0) {
		ora_error_set(err, "no key was given: the input was empty");
		goto out;
	}
	if (len > max) {
		ora_error_set(err, "the key is longer than %zu bytes: is it really one key?", max);
		goto out;
	}
	/* What follows the key (a newline) is wiped; sodium_free wipes the
	 * whole buffer anyway. */
	sodium_memzero(s->data + len, cap - len);
	s->len = len;
	ora_secret_protect(s);
	*out = s;
	s = NULL;
	ret = 0;
out:
	ora_secret_free(s);
	return ret;
}

void
ora_key_fingerprint(const struct ora_secret *key, char *out)
{
	unsigned char hash[crypto_generichash_BYTES];

	crypto_generichash(hash, sizeof(hash), key->data, key->len, NULL, 0);
	sodium_bin2hex(out, ORA_KEY_FINGERPRINT_HEX + 1, hash, ORA_KEY_FINGERPRINT_HEX / 2);
	/* The hash reveals nothing useful, but it is derived from a key. */
	sodium_memzero(hash, sizeof(hash));
}

int
ora_secret_copy(const void *data, size_t len, struct ora_secret **out, struct ora_error *err)
{
	struct ora_secret *s;

	*out = NULL;
	if ((s = ora_secret_new(len, err)) == NULL)
		return -1;
	memcpy(s->data, data, len);
	ora_secret_protect(s);
	*out = s;
	return 0;
}
