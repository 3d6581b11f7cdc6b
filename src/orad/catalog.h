/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * catalog.h: the upstream's model list with prices, fetched in the
 * background and refreshed periodically. A failed refresh keeps the last good
 * catalog (and retries sooner), so a flaky upstream never empties the list.
 */
#ifndef ORAD_CATALOG_H
#define ORAD_CATALOG_H

#include <stdint.h>

struct event_base;
struct json_object;
struct orad_catalog;
struct orad_upstream;

#define CATALOG_RETRY_S 15      /* after a failed fetch */
#define CATALOG_MAX_BYTES (32L * 1024 * 1024)

struct orad_catalog *catalog_new(struct event_base *base, struct orad_upstream *u);
void catalog_free(struct orad_catalog *c);

/* Where to fetch from and how often; fetches at once if the URL changed or
 * nothing has been loaded yet. */
void catalog_configure(struct orad_catalog *c, const char *base_url, long refresh_s,
    long connect_timeout_s, const char *ca_pem, size_t ca_pem_len);

/* The "data" array of the last good /models answer, or NULL before the first
 * successful fetch. Borrowed: valid until the next event-loop turn. */
struct json_object *catalog_models(const struct orad_catalog *c);

/* The model object with this id, or NULL. Borrowed, as above. */
struct json_object *catalog_find(const struct orad_catalog *c, const char *id);

/* The models by id (a JSON object id -> model), NULL before the first
 * fetch: the admission core's view of the catalog. Borrowed, as above. */
struct json_object *catalog_by_id(const struct orad_catalog *c);

/* Wall-clock milliseconds of the last good fetch, 0 if none. */
int64_t catalog_loaded_ms(const struct orad_catalog *c);

#endif
