/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * mgmt.h: OpenRouter's key-management API as oractl uses it, and what ora
 * remembers about the keys it provisioned.
 *
 * A management ("provisioning") key creates, lists, changes and disables
 * other keys (POST/GET/PATCH/DELETE /keys, /keys/{hash}); it never serves a
 * completion. ora seals it as state_dir/keys/NAME.management (keystore.h),
 * so orad, which only opens NAME.key, can never send it upstream.
 *
 * A key made by `oractl key provision` has a limit that OpenRouter itself
 * enforces: the backstop if every ora host were bypassed. Its OpenRouter
 * hash (the id the management API knows it by), limit, reset window, label
 * and the management key that made it are kept in state_dir/keys/NAME.meta,
 * a small JSON file that holds nothing secret.
 */
#ifndef ORACTL_MGMT_H
#define ORACTL_MGMT_H

#include <stdint.h>

#include "common/util.h"

struct oractl;
struct ora_secret;
struct oractl_http_reply;
struct json_object;

/* The longest label (OpenRouter's `name` of the key) accepted. */
#define ORACTL_MGMT_LABEL_MAX 128

/* What NAME.meta holds for a provisioned key. Strings are owned. */
struct oractl_key_meta {
	char *hash;         /* OpenRouter's id of the key */
	char *limit;        /* USD, as a decimal, or NULL for none */
	char *limit_reset;  /* "daily", "weekly", "monthly" or NULL */
	char *label;        /* the key's name at OpenRouter */
	char *management;   /* the management key that made it */
	char *disable_hash; /* a replaced key not yet disabled upstream, or NULL */
	int64_t created_ms; /* when ora provisioned it (epoch ms) */
};

void oractl_key_meta_clear(struct oractl_key_meta *m);

/* Read NAME.meta: 0 with *m filled, 1 when the key has none (it was not
 * provisioned by ora), -1 after printing why. */
int oractl_key_meta_load(const char *state_dir, const char *name, struct oractl_key_meta *m);

/* Write NAME.meta atomically; -1 after printing why. */
int oractl_key_meta_save(const char *state_dir, const char *name, const struct oractl_key_meta *m);

/* The management key to use: requested when not NULL (it must be stored),
 * else the only one stored. On success *name is newly allocated; -1 after
 * printing why (none stored, several and none chosen). */
int oractl_mgmt_choose(const char *state_dir, const char *requested, char **name);

/* One request to the management API: METHOD base_url PATH with json_body
 * (or NULL), authorised by the management key. Returns 0 with any answer
 * in rp, -1 with err when no answer came. */
int oractl_mgmt_call(struct oractl *ctl, const struct ora_secret *mkey, const char *method,
    const char *path, const char *json_body, struct oractl_http_reply *rp, struct ora_error *err);

/* The upstream's error.message of an answer, or "HTTP N", into buf. */
const char *oractl_mgmt_message(const struct oractl_http_reply *rp, char *buf, size_t size);

/* A person's sentence for a refused management request: 401 (the
 * management key is not valid), 403 (it is not a management key), other. */
void oractl_mgmt_refusal(const char *what, const char *mname, const struct oractl_http_reply *rp);

/* Create a key upstream with the limit, reset and label of m (m->hash is
 * set on success) and return the new key in locked memory. The plaintext
 * in the answer is wiped from oractl's heap copies. -1 after printing why. */
int oractl_mgmt_create(struct oractl *ctl, const struct ora_secret *mkey, const char *mname,
    struct oractl_key_meta *m, struct ora_secret **key);

/* PATCH /keys/{hash} {"disabled": true}; DELETE /keys/{hash} when
 * delete is set. -1 after printing why. */
int oractl_mgmt_disable(struct oractl *ctl, const struct ora_secret *mkey, const char *mname,
    const char *hash, int delete);

/* data of a 200 answer's JSON (a new reference in *root), or NULL. */
struct json_object *oractl_mgmt_data(const struct oractl_http_reply *rp, struct json_object **root);

/* `key list`'s second table: per stored key, OpenRouter's limit, usage and
 * what remains, beside ora's ledger spend on that key, flagging a
 * disagreement. Without the network it says so and shows the ledger part.
 * Returns 0, or -1 when a disagreement was found. */
int oractl_key_list_limits(
    struct oractl *ctl, const struct ora_secret *master, char *const *names, size_t n);

#endif
