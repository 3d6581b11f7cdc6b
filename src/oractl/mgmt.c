/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * mgmt.c: OpenRouter's key-management API, and NAME.meta. See mgmt.h.
 *
 * The one secret that arrives here from the network is a key OpenRouter
 * has just created: it is copied into locked memory at once, and the
 * copies in the answer (oractl's buffer and json-c's string) are wiped.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/money.h"
#include "common/util.h"
#include "config/conf.h"
#include "keys/keystore.h"
#include "oractl/http.h"
#include "oractl/mgmt.h"
#include "oractl/oractl.h"

#define MANAGEMENT_SUFFIX ".management"

void
oractl_key_meta_clear(struct oractl_key_meta *m)
{
	free(m->hash);
	free(m->limit);
	free(m->limit_reset);
	free(m->label);
	free(m->management);
	free(m->disable_hash);
	memset(m, 0, sizeof(*m));
}

static char *
meta_string(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return ora_xstrdup(json_object_get_string(v));
}

int
oractl_key_meta_load(const char *state_dir, const char *name, struct oractl_key_meta *m)
{
	struct json_object *root = NULL, *v;
	struct ora_error err;
	char *text = NULL;
	int r;

	memset(m, 0, sizeof(*m));
	if ((r = ora_key_meta_read(state_dir, name, &text, &err)) != 0) {
		if (r < 0)
			oractl_error("%s", err.msg);
		return r;
	}
	root = json_tokener_parse(text);
	if (root == NULL || !json_object_is_type(root, json_type_object) ||
	    (m->hash = meta_string(root, "hash")) == NULL) {
		oractl_error("%s/keys/%s.meta is not a key description ora wrote: remove it, or "
		             "provision the key again",
		    state_dir, name);
		json_object_put(root);
		free(text);
		return -1;
	}
	m->limit = meta_string(root, "limit");
	m->limit_reset = meta_string(root, "limit_reset");
	m->label = meta_string(root, "label");
	m->management = meta_string(root, "management_key");
	m->disable_hash = meta_string(root, "disable_pending");
	if (json_object_object_get_ex(root, "created_ms", &v))
		m->created_ms = json_object_get_int64(v);
	json_object_put(root);
	free(text);
	return 0;
}

static void
meta_put(struct json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, value != NULL ? json_object_new_string(value) : NULL);
}

int
oractl_key_meta_save(const char *state_dir, const char *name, const struct oractl_key_meta *m)
{
	struct json_object *o = json_object_new_object();
	struct ora_error err;
	char *text;
	int ret = 0;

	meta_put(o, "kind", "provisioned");
	meta_put(o, "hash", m->hash);
	meta_put(o, "limit", m->limit);
	meta_put(o, "limit_reset", m->limit_reset);
	meta_put(o, "label", m->label);
	meta_put(o, "management_key", m->management);
	if (m->disable_hash != NULL)
		meta_put(o, "disable_pending", m->disable_hash);
	json_object_object_add(o, "created_ms", json_object_new_int64(m->created_ms));
	text = ora_xasprintf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	if (ora_key_meta_write(state_dir, name, text, &err) != 0) {
		oractl_error("%s", err.msg);
		ret = -1;
	}
	free(text);
	json_object_put(o);
	return ret;
}

int
oractl_mgmt_choose(const char *state_dir, const char *requested, char **name)
{
	char *dir = ora_key_dir(state_dir), *found = NULL, *path;
	size_t len, slen = strlen(MANAGEMENT_SUFFIX), count = 0;
	struct dirent *de;
	DIR *d;

	*name = NULL;
	if (requested != NULL) {
		path = ora_key_path_kind(state_dir, ORA_KEY_MANAGEMENT, requested);
		if (access(path, F_OK) != 0) {
			oractl_error(
			    "no management key named '%s' (%s): add it with `oractl key add "
			    "--management %s`",
			    requested, path, requested);
			free(path);
			free(dir);
			return -1;
		}
		free(path);
		free(dir);
		*name = ora_xstrdup(requested);
		return 0;
	}
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			len = strlen(de->d_name);
			if (len <= slen || de->d_name[0] == '.' ||
			    strcmp(de->d_name + len - slen, MANAGEMENT_SUFFIX) != 0)
				continue;
			if (count++ == 0) {
				found = ora_xstrdup(de->d_name);
				found[len - slen] = '\0';
			}
		}
		closedir(d);
	}
	free(dir);
	if (count == 1) {
		*name = found;
		return 0;
	}
	free(found);
	if (count == 0)
		oractl_error("no OpenRouter management key is stored: create one at "
		             "https://openrouter.ai/settings/management-keys and add it with "
		             "`oractl key add --management NAME`");
	else
		oractl_error(
		    "%zu management keys are stored: choose one with --management NAME", count);
	return -1;
}

int
oractl_mgmt_call(struct oractl *ctl, const struct ora_secret *mkey, const char *method,
    const char *path, const char *json_body, struct oractl_http_reply *rp, struct ora_error *err)
{
	char *url = ora_xasprintf("%s%s", ctl->conf->upstream.base_url, path);
	struct oractl_http_request rq = {
	    method, url, NULL, mkey, ORACTL_UPSTREAM_TIMEOUT_S, json_body};
	int r = oractl_http(&rq, rp, err);

	free(url);
	return r;
}

const char *
oractl_mgmt_message(const struct oractl_http_reply *rp, char *buf, size_t size)
{
	struct json_object *root = json_tokener_parse(rp->body), *e, *m;

	if (root != NULL && json_object_object_get_ex(root, "error", &e) &&
	    json_object_object_get_ex(e, "message", &m))
		snprintf(buf, size, "%s", json_object_get_string(m));
	else
		snprintf(buf, size, "HTTP %ld", rp->status);
	json_object_put(root);
	return buf;
}

void
oractl_mgmt_refusal(const char *what, const char *mname, const struct oractl_http_reply *rp)
{
	char msg[ORA_ERROR_MAX];

	oractl_mgmt_message(rp, msg, sizeof(msg));
	if (rp->status == 401)
		oractl_error("cannot %s: OpenRouter does not accept the management key '%s' "
		             "(401: %s). Replace it with `oractl key add --management --force %s`",
		    what, mname, msg, mname);
	else if (rp->status == 403)
		oractl_error("cannot %s: OpenRouter refused the management key '%s' (403: %s). "
		             "Is it a management key? Create one at "
		             "https://openrouter.ai/settings/management-keys",
		    what, mname, msg);
	else
		oractl_error("cannot %s: OpenRouter answered HTTP %ld (%s)", what, rp->status, msg);
}

struct json_object *
oractl_mgmt_data(const struct oractl_http_reply *rp, struct json_object **root)
{
	struct json_object *data;

	*root = json_tokener_parse(rp->body);
	if (*root == NULL || !json_object_object_get_ex(*root, "data", &data) ||
	    !json_object_is_type(data, json_type_object))
		return NULL;
	return data;
}

/* The request body of POST /keys: name, limit (a JSON number written
 * exactly as the admin gave it, after normalising) and limit_reset. */
static char *
create_body(const struct oractl_key_meta *m)
{
	struct json_object *o = json_object_new_object();
	char text[ORA_MONEY_TEXT_MAX];
	ora_pico limit;
	char *body;

	json_object_object_add(o, "name", json_object_new_string(m->label));
	if (m->limit != NULL && ora_money_parse(m->limit, &limit) == 0) {
		ora_money_format(limit, text, sizeof(text));
		json_object_object_add(o, "limit",
		    json_object_new_double_s((double)limit / (double)ORA_PICO_PER_USD, text));
	}
	if (m->limit_reset != NULL)
		json_object_object_add(o, "limit_reset", json_object_new_string(m->limit_reset));
	body = ora_xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return body;
}

/* Take the plaintext key out of a 201 answer into locked memory and wipe
 * json-c's copy of it. */
static int
create_take_key(struct json_object *root, struct ora_secret **key)
{
	struct json_object *v;
	struct ora_error err;
	const char *s;
	size_t len;
	int shape;

	if (!json_object_object_get_ex(root, "key", &v) ||
	    !json_object_is_type(v, json_type_string))
		return -1;
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	shape = ora_key_check_shape((const unsigned char *)s, len, &err);
	if (shape < 0) {
		oractl_error("OpenRouter answered a key ora cannot use: %s", err.msg);
	} else {
		if (shape > 0)
			oractl_warning("the new key: %s", err.msg);
		if (ora_secret_copy(s, len, key, &err) != 0) {
			oractl_error("%s", err.msg);
			shape = -1;
		}
	}
	sodium_memzero((char *)s, len);
	return shape < 0 ? -1 : 0;
}

int
oractl_mgmt_create(struct oractl *ctl, const struct ora_secret *mkey, const char *mname,
    struct oractl_key_meta *m, struct ora_secret **key)
{
	struct oractl_http_reply rp = {0, NULL, 0, NULL};
	struct json_object *root = NULL, *data, *hash;
	char *body = create_body(m);
	struct ora_error err;
	int ret = -1;

	*key = NULL;
	if (oractl_mgmt_call(ctl, mkey, "POST", "/keys", body, &rp, &err) != 0) {
		oractl_error("cannot reach OpenRouter to create the key: %s", err.msg);
		goto out;
	}
	if (rp.status != 200 && rp.status != 201) {
		oractl_mgmt_refusal("create the key", mname, &rp);
		goto out;
	}
	data = oractl_mgmt_data(&rp, &root);
	if (data == NULL || !json_object_object_get_ex(data, "hash", &hash) ||
	    !json_object_is_type(hash, json_type_string)) {
		oractl_error("OpenRouter's answer to creating the key has no data.hash: was the "
		             "key created? Check https://openrouter.ai/settings/keys");
		goto out;
	}
	free(m->hash);
	m->hash = ora_xstrdup(json_object_get_string(hash));
	if (create_take_key(root, key) != 0) {
		if (*key == NULL)
			oractl_error("OpenRouter's answer to creating the key holds no usable key; "
			             "delete the key with hash %s upstream",
			    m->hash);
		goto out;
	}
	ret = 0;
out:
	json_object_put(root);
	oractl_http_reply_clear(&rp); /* wipes the answer, which held the key */
	free(body);
	return ret;
}

int
oractl_mgmt_disable(struct oractl *ctl, const struct ora_secret *mkey, const char *mname,
    const char *hash, int delete)
{
	struct oractl_http_reply rp = {0, NULL, 0, NULL};
	char *path = ora_xasprintf("/keys/%s", hash), *what;
	struct ora_error err;
	int r;

	what =
	    ora_xasprintf("%s the key with hash %s upstream", delete ? "delete" : "disable", hash);
	if (delete)
		r = oractl_mgmt_call(ctl, mkey, "DELETE", path, NULL, &rp, &err);
	else
		r = oractl_mgmt_call(ctl, mkey, "PATCH", path, "{\"disabled\":true}", &rp, &err);
	if (r != 0)
		oractl_error("cannot reach OpenRouter to %s: %s", what, err.msg);
	else if (rp.status != 200) {
		oractl_mgmt_refusal(what, mname, &rp);
		r = -1;
	}
	oractl_http_reply_clear(&rp);
	free(path);
	free(what);
	return r;
}
