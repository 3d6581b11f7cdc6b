/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * mock_map.c: a small chained hash map keyed by byte strings.
 *
 * Used for generation ids, keys and connection pointers; benchmarks make
 * tens of thousands of records, so lookups must not be linear.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "mock.h"

#define MOCK_MAP_INITIAL_BUCKETS 64

struct mock_map_entry {
	struct mock_map_entry *next;
	uint64_t hash;
	void *value;
	size_t keylen;
	unsigned char key[]; /* copied in */
};

struct mock_map {
	struct mock_map_entry **buckets;
	size_t nbuckets; /* power of two */
	size_t count;
};

static uint64_t
mock_map_hash(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

struct mock_map *
mock_map_new(void)
{
	struct mock_map *m = mock_xcalloc(1, sizeof(*m));

	m->nbuckets = MOCK_MAP_INITIAL_BUCKETS;
	m->buckets = mock_xcalloc(m->nbuckets, sizeof(*m->buckets));
	return m;
}

void
mock_map_clear(struct mock_map *m, void (*free_value)(void *))
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nbuckets; i++) {
		struct mock_map_entry *e = m->buckets[i], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			if (free_value != NULL)
				free_value(e->value);
			free(e);
		}
		m->buckets[i] = NULL;
	}
	m->count = 0;
}

void
mock_map_free(struct mock_map *m, void (*free_value)(void *))
{
	if (m == NULL)
		return;
	mock_map_clear(m, free_value);
	free(m->buckets);
	free(m);
}

static struct mock_map_entry **
mock_map_slot(const struct mock_map *m, const void *key, size_t keylen, uint64_t h)
{
	struct mock_map_entry **pp = &m->buckets[h & (m->nbuckets - 1)];

	for (; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->hash == h && (*pp)->keylen == keylen &&
		    memcmp((*pp)->key, key, keylen) == 0)
			break;
	return pp;
}

static void
mock_map_grow(struct mock_map *m)
{
	size_t n = m->nbuckets * 2, i;
	struct mock_map_entry **b = mock_xcalloc(n, sizeof(*b));

	for (i = 0; i < m->nbuckets; i++) {
		struct mock_map_entry *e = m->buckets[i], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = n;
}

void *
mock_map_get(const struct mock_map *m, const void *key, size_t keylen)
{
	struct mock_map_entry **pp;

	if (m == NULL)
		return NULL;
	pp = mock_map_slot(m, key, keylen, mock_map_hash(key, keylen));
	return *pp != NULL ? (*pp)->value : NULL;
}

void *
mock_map_put(struct mock_map *m, const void *key, size_t keylen, void *value)
{
	uint64_t h = mock_map_hash(key, keylen);
	struct mock_map_entry **pp = mock_map_slot(m, key, keylen, h), *e;
	void *old;

	if (*pp != NULL) {
		old = (*pp)->value;
		(*pp)->value = value;
		return old;
	}
	if (m->count + 1 > m->nbuckets) {
		mock_map_grow(m);
		pp = mock_map_slot(m, key, keylen, h);
	}
	e = mock_xmalloc(sizeof(*e) + keylen);
	e->next = NULL;
	e->hash = h;
	e->value = value;
	e->keylen = keylen;
	memcpy(e->key, key, keylen);
	*pp = e;
	m->count++;
	return NULL;
}

void *
mock_map_remove(struct mock_map *m, const void *key, size_t keylen)
{
	struct mock_map_entry **pp, *e;
	void *value;

	if (m == NULL)
		return NULL;
	pp = mock_map_slot(m, key, keylen, mock_map_hash(key, keylen));
	if (*pp == NULL)
		return NULL;
	e = *pp;
	*pp = e->next;
	value = e->value;
	free(e);
	m->count--;
	return value;
}

size_t
mock_map_count(const struct mock_map *m)
{
	return m != NULL ? m->count : 0;
}
