/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * admit_scrub.c: upstream error bodies are relayed to the user who caused
 * them, but they name the OpenRouter account that pays (`user_id`), which
 * is the organisation's, not the user's. The identifiers are removed at
 * any depth; the rest (message, code, metadata) stays, since it tells the
 * user what went wrong.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "admit/admit.h"
#include "common/util.h"

#define SCRUB_MAX_DEPTH 16

static const char *const account_keys[] = { "user_id", "userId", "account_id", "accountId",
	"org_id", "organization_id", "organizationId", "key_hash", "api_key", NULL };

static int
is_account_key(const char *k)
{
	for (const char *const *a = account_keys; *a != NULL; a++)
		if (strcmp(*a, k) == 0)
			return 1;
	return 0;
}

static int
is_container(struct json_object *v)
{
	return json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_array);
}

/* Deeper than SCRUB_MAX_DEPTH nothing is looked at, so nothing is kept:
 * a container there becomes null (the fuzzer found an identifier left at
 * depth 18 when the walk merely stopped). */
static void
scrub(struct json_object *v, int depth)
{
	if (json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			struct json_object *child = json_object_array_get_idx(v, i);
			if (is_container(child) && depth + 1 >= SCRUB_MAX_DEPTH)
				json_object_array_put_idx(v, i, NULL);
			else
				scrub(child, depth + 1);
		}
		return;
	}
	if (!json_object_is_type(v, json_type_object))
		return;
	for (int again = 1; again;) {
		again = 0;
		json_object_object_foreach(v, key, val) {
			if (is_account_key(key)) {
				json_object_object_del(v, key);
				again = 1; /* the iteration is void after a change */
				break;
			}
			if (is_container(val) && depth + 1 >= SCRUB_MAX_DEPTH) {
				json_object_object_add(v, key, NULL);
				again = 1;
				break;
			}
			scrub(val, depth + 1);
		}
	}
}

void
admit_scrub_upstream_error(const char *body, size_t len, long status, char **out, size_t *out_len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *root = NULL;
	const char *text;

	if (len <= INT32_MAX)
		root = json_tokener_parse_ex(tok, body != NULL ? body : "", (int)len);
	if (root == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(root);
		json_tokener_free(tok);
		*out = ora_xasprintf("{\"error\":{\"code\":%ld,\"message\":\"the upstream answered "
		                     "HTTP %ld with a body that is not JSON\"}}", status, status);
		*out_len = strlen(*out);
		return;
	}
	json_tokener_free(tok);
	scrub(root, 0);
	text = json_object_to_json_string_length(root,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, out_len);
	*out = ora_xmalloc(*out_len + 1);
	memcpy(*out, text, *out_len + 1);
	json_object_put(root);
}
