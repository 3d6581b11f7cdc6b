/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <errno.h>
#include <math.h> /* isfinite, a macro: no libm */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/json.h"

struct json_object *
oc_json_parse(const char *data, size_t len)
{
	struct json_tokener *tok;
	struct json_object *obj;

	if (data == NULL || len == 0 || len > INT32_MAX)
		return NULL;
	if ((tok = json_tokener_new()) == NULL)
		return NULL;
	obj = json_tokener_parse_ex(tok, data, (int)len);
	json_tokener_free(tok);
	return obj;
}

struct json_object *
oc_json_get(struct json_object *obj, const char *key, enum json_type type)
{
	struct json_object *v;

	if (obj == NULL || !json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

const char *
oc_json_str(struct json_object *obj, const char *key)
{
	struct json_object *v = oc_json_get(obj, key, json_type_string);

	return v != NULL ? json_object_get_string(v) : NULL;
}

long
oc_json_long(struct json_object *obj, const char *key, long def)
{
	struct json_object *v;
	double d;

	if ((v = oc_json_get(obj, key, json_type_int)) != NULL)
		return (long)json_object_get_int64(v);
	if ((v = oc_json_get(obj, key, json_type_double)) != NULL) {
		d = json_object_get_double(v);
		if (d > -9e15 && d < 9e15 && d == (double)(long)d)
			return (long)d;
	}
	return def;
}

double
oc_json_number(struct json_object *obj, const char *key, double def)
{
	struct json_object *v;
	const char *s;
	char *end;
	double d;

	if ((v = oc_json_get(obj, key, json_type_double)) != NULL ||
	    (v = oc_json_get(obj, key, json_type_int)) != NULL)
		return json_object_get_double(v);
	if ((s = oc_json_str(obj, key)) == NULL)
		return def;
	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(d))
		return def;
	return d;
}

enum ora_status
oc_json_dup(struct json_object *obj, const char *key, char **dst)
{
	const char *s = oc_json_str(obj, key);
	char *copy;

	if (s == NULL)
		return ORA_OK;
	if ((copy = strdup(s)) == NULL)
		return ORA_E_NOMEM;
	free(*dst);
	*dst = copy;
	return ORA_OK;
}

void
oc_strv_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

enum ora_status
oc_json_strv(struct json_object *obj, const char *key, char ***dst, size_t *n)
{
	struct json_object *arr = oc_json_get(obj, key, json_type_array), *item;
	size_t i, len, count = 0;
	const char *name;
	char **v;

	len = arr != NULL ? json_object_array_length(arr) : 0;
	if ((v = calloc(len + 1, sizeof(*v))) == NULL)
		return ORA_E_NOMEM;
	for (i = 0; i < len; i++) {
		item = json_object_array_get_idx(arr, i);
		if (json_object_is_type(item, json_type_string))
			name = json_object_get_string(item);
		else if ((name = oc_json_str(item, "name")) == NULL)
			continue;
		if ((v[count] = strdup(name)) == NULL) {
			oc_strv_free(v);
			return ORA_E_NOMEM;
		}
		count++;
	}
	oc_strv_free(*dst);
	*dst = v;
	*n = count;
	return ORA_OK;
}

void
oc_json_usage(struct json_object *obj, struct ora_usage *u)
{
	struct json_object *usage = oc_json_get(obj, "usage", json_type_object);
	double cost;

	if (usage == NULL)
		return;
	u->prompt_tokens = oc_json_long(usage, "prompt_tokens", u->prompt_tokens);
	u->completion_tokens = oc_json_long(usage, "completion_tokens", u->completion_tokens);
	u->total_tokens = oc_json_long(usage, "total_tokens", u->total_tokens);
	cost = oc_json_number(usage, "cost", -1.0);
	if (cost >= 0) {
		u->cost = cost;
		u->has_cost = 1;
	}
}
