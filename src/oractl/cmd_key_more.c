/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * cmd_key_more.c: `oractl key rotate`, `key rm` and `key check`.
 *
 * rotate replaces a stored key atomically (the sealed file is renamed into
 * place) and then asks orad to reload: requests in flight keep the key
 * they started with, new ones get the new key, and none fails in between.
 * rm refuses while the configuration file still names the key. check asks
 * the upstream what it knows about the key (GET /key): the key leaves
 * locked memory only in the Authorization header of that one request.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "config/conf.h"
#include "keys/keystore.h"
#include "oractl/audit.h"
#include "oractl/http.h"
#include "oractl/mgmt.h"
#include "oractl/oractl.h"

#define FP_UNREADABLE "unreadable"
#define FP_MAX (sizeof(FP_UNREADABLE) + ORA_KEY_FINGERPRINT_HEX) /* either, with its NUL */

/* The usual checks on NAME; -1 after a message, with *status set. */
static int
key_name_arg(const char *sub, int argc, char **argv, const struct oractl_option *opts,
    const char **name, int *status)
{
	int first;

	if ((first = oractl_parse_options("key", argc, argv, opts, status)) < 0)
		return -1;
	if (argc - first != 1) {
		oractl_error("key %s takes one NAME", sub);
		*status = oractl_usage("key", 0);
		return -1;
	}
	*name = argv[first];
	if (!ora_key_name_valid(*name)) {
		oractl_error("'%s' is not a valid key name: use 1-64 letters, digits, '_', '.' or "
		             "'-', not starting with '.'",
		    *name);
		*status = ORACTL_EXIT_USAGE;
		return -1;
	}
	return 0;
}

/* The fingerprint of a stored key into fp (FP_MAX bytes), or FP_UNREADABLE
 * with the reason in err. */
static int
key_fingerprint(const struct ora_conf *conf, const struct ora_secret *master, const char *name,
    char *fp, struct ora_error *err)
{
	struct ora_secret *key = NULL;

	if (master == NULL || ora_key_open(master, conf->daemon.state_dir, name, &key, err) != 0) {
		ora_strlcpy(fp, FP_UNREADABLE, FP_MAX);
		return -1;
	}
	ora_key_fingerprint(key, fp);
	ora_secret_free(key);
	return 0;
}

/* A stored key, or a message saying it is not. */
static int
key_must_exist(const struct ora_conf *conf, const char *name)
{
	char *path = ora_key_path(conf->daemon.state_dir, name);
	struct stat st;
	int ret = 0;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			oractl_error(
			    "key '%s' is not stored (no %s); add it with `oractl key add %s < "
			    "FILE`",
			    name, path, name);
		else
			oractl_error("cannot use %s: %s", path, strerror(errno));
		ret = -1;
	}
	free(path);
	return ret;
}

int
oractl_key_rotate(struct oractl *ctl, int argc, char **argv)
{
	int prompt = 0, provision = 0, status = ORACTL_EXIT_ERROR, reloaded;
	const struct oractl_option options[] = {
	    {"prompt", &prompt}, {"provision", &provision}, {NULL, NULL}};
	char old_fp[FP_MAX], new_fp[FP_MAX];
	struct ora_secret *master = NULL;
	const char *name, *outcome;
	struct ora_error err;
	char *users = NULL;

	if (key_name_arg("rotate", argc, argv, options, &name, &status) != 0)
		return status;
	if (oractl_conf(ctl) != 0 || key_must_exist(ctl->conf, name) != 0)
		return ORACTL_EXIT_ERROR;
	if (provision)
		return oractl_key_rotate_provision(ctl, name);
	if (ora_master_key_load_configured(ctl->conf->daemon.master_key, &master, &err) != 0) {
		oractl_error("%s", err.msg);
		goto out;
	}
	if (key_fingerprint(ctl->conf, master, name, old_fp, &err) != 0)
		oractl_warning("the stored key '%s' cannot be opened (%s); replacing it anyway",
		    name, err.msg);
	if (oractl_key_store(ctl->conf, master, name, prompt, new_fp) != 0)
		goto out;
	printf("key '%s' rotated: fingerprint %s -> %s\n", name, old_fp, new_fp);
	if (strcmp(old_fp, new_fp) == 0)
		oractl_warning("the new key is the same as the old one");

	/* The file is replaced; orad holds the old key in memory until it
	 * reloads. */
	status = ORACTL_EXIT_OK;
	if ((users = oractl_key_users(ctl->conf, name)) == NULL) {
		outcome = "no cost centre uses it, orad not asked to reload";
		printf("no cost centre in %s uses key '%s', so orad was not asked to reload\n",
		    ctl->conf->path, name);
	} else if ((reloaded = oractl_reload(ctl, &err)) == 0) {
		outcome = "orad reloaded";
		printf("orad uses the new key for new requests (cost centres %s); requests in "
		       "flight finish with the old one. Revoke the old key upstream once they "
		       "are done.\n",
		    users);
	} else if (reloaded == 1) {
		outcome = "orad not running";
		printf("%s; it will use the new key when it starts\n", err.msg);
	} else {
		outcome = "orad did not reload";
		oractl_error("the new key is stored, but orad goes on with the old one until a "
		             "reload succeeds: fix the problem above and run `oractl reload`");
		status = ORACTL_EXIT_ERROR;
	}
	oractl_audit(
	    ctl, "key rotate", "key '%s': fingerprint %s -> %s; %s", name, old_fp, new_fp, outcome);
out:
	free(users);
	ora_secret_free(master);
	return status;
}

/* Make the removal durable: a key that comes back after a crash would be
 * a surprise. */
static void
sync_dir(const char *path)
{
	char *dir = ora_xstrdup(path), *slash = strrchr(dir, '/');
	int fd;

	if (slash != NULL) {
		*slash = '\0';
		if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
			fsync(fd);
			close(fd);
		}
	}
	free(dir);
}

int
oractl_key_rm(struct oractl *ctl, int argc, char **argv)
{
	char fp[FP_MAX], *users = NULL, *path = NULL;
	struct oractl_key_meta meta = {0};
	struct ora_secret *master = NULL;
	int status = ORACTL_EXIT_ERROR;
	struct ora_error err;
	const char *name;

	if (key_name_arg("rm", argc, argv, NULL, &name, &status) != 0)
		return status;
	if (oractl_conf(ctl) != 0)
		return ORACTL_EXIT_ERROR;
	if ((users = oractl_key_users(ctl->conf, name)) != NULL) {
		oractl_error("refusing to remove key '%s': the configuration %s uses it in cost "
		             "centre%s %s. Give %s another key (or remove %s), `oractl reload`, "
		             "then remove the key",
		    name, ctl->conf->path, strchr(users, ',') ? "s" : "", users,
		    strchr(users, ',') ? "them" : "it", strchr(users, ',') ? "them" : "it");
		goto out;
	}
	if (key_must_exist(ctl->conf, name) != 0)
		goto out;
	/* The fingerprint, for the trail, when the master key can be read. */
	if (ora_master_key_load_configured(ctl->conf->daemon.master_key, &master, &err) != 0)
		master = NULL;
	key_fingerprint(ctl->conf, master, name, fp, &err);
	path = ora_key_path(ctl->conf->daemon.state_dir, name);
	if (unlink(path) != 0) {
		oractl_error("cannot remove %s: %s", path, strerror(errno));
		goto out;
	}
	/* What ora remembered of a provisioned key goes with it; the key
	 * itself stays at OpenRouter until disabled there. */
	if (oractl_key_meta_load(ctl->conf->daemon.state_dir, name, &meta) == 0)
		printf("key '%s' was provisioned: it stays valid at OpenRouter until you disable "
		       "or delete it there (hash %s)\n",
		    name, meta.hash);
	oractl_key_meta_clear(&meta);
	ora_key_meta_remove(ctl->conf->daemon.state_dir, name);
	sync_dir(path);
	printf("key '%s' removed (fingerprint %s)\n", name, fp);
	oractl_audit(ctl, "key rm", "key '%s' removed, fingerprint %s", name, fp);
	status = ORACTL_EXIT_OK;
out:
	ora_secret_free(master);
	free(users);
	free(path);
	return status;
}

/*
 * key check.
 */

static struct json_object *
jget(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

/* An amount as the upstream wrote it, in USD, or dflt when null. */
static const char *
usd(struct json_object *o, const char *key, const char *dflt, char *buf, size_t size)
{
	struct json_object *v = jget(o, key);

	if (v == NULL)
		return dflt;
	snprintf(buf, size, "%s USD", json_object_get_string(v));
	return buf;
}

static void
check_print(const char *name, const char *fp, const char *base_url, struct json_object *data)
{
	char a[64], b[64], c[64], d[64];
	struct json_object *v;

	printf("key '%s' (fingerprint %s) is valid at %s\n", name, fp, base_url);
	printf("  limit:      %s\n", usd(data, "limit", "none", a, sizeof(a)));
	printf("  usage:      %s", usd(data, "usage", "0 USD", a, sizeof(a)));
	if (jget(data, "usage_daily") != NULL)
		printf(" (today %s, this week %s, this month %s; UTC)",
		    usd(data, "usage_daily", "-", b, sizeof(b)),
		    usd(data, "usage_weekly", "-", c, sizeof(c)),
		    usd(data, "usage_monthly", "-", d, sizeof(d)));
	printf("\n  remaining:  %s\n",
	    usd(data, "limit_remaining", jget(data, "limit") ? "?" : "unlimited", a, sizeof(a)));
	v = jget(data, "limit_reset");
	printf("  reset:      %s\n", v != NULL ? json_object_get_string(v) : "never");
	v = jget(data, "is_free_tier");
	printf("  free tier:  %s\n", v == NULL ? "?" : json_object_get_boolean(v) ? "yes" : "no");
	v = jget(data, "expires_at");
	printf("  expires:    %s\n", v != NULL ? json_object_get_string(v) : "never");
}

/* error.message of an upstream error body, or the status. */
static void
upstream_message(const struct oractl_http_reply *rp, char *buf, size_t size)
{
	struct json_object *root = json_tokener_parse(rp->body), *e, *m;

	if (root != NULL && json_object_object_get_ex(root, "error", &e) &&
	    json_object_object_get_ex(e, "message", &m))
		snprintf(buf, size, "%s", json_object_get_string(m));
	else
		snprintf(buf, size, "HTTP %ld", rp->status);
	json_object_put(root);
}

int
oractl_key_check(struct oractl *ctl, int argc, char **argv)
{
	char fp[FP_MAX], msg[ORA_ERROR_MAX], *url = NULL;
	struct oractl_http_request rq = {"GET", NULL, NULL, NULL, ORACTL_UPSTREAM_TIMEOUT_S, NULL};
	struct oractl_http_reply rp = {0, NULL, 0, NULL};
	struct ora_secret *master = NULL, *key = NULL;
	struct json_object *root = NULL, *data;
	int status = ORACTL_EXIT_ERROR;
	struct ora_error err;
	const char *name;

	if (key_name_arg("check", argc, argv, NULL, &name, &status) != 0)
		return status;
	if (oractl_conf(ctl) != 0 || key_must_exist(ctl->conf, name) != 0)
		return ORACTL_EXIT_ERROR;
	if (ora_master_key_load_configured(ctl->conf->daemon.master_key, &master, &err) != 0 ||
	    ora_key_open(master, ctl->conf->daemon.state_dir, name, &key, &err) != 0) {
		oractl_error("%s", err.msg);
		goto out;
	}
	ora_key_fingerprint(key, fp);
	url = ora_xasprintf("%s/key", ctl->conf->upstream.base_url);
	rq.url = url;
	rq.bearer = key;
	if (oractl_http(&rq, &rp, &err) != 0) {
		oractl_error("cannot check key '%s': %s", name, err.msg);
		goto out;
	}
	if (rp.status == 401) {
		upstream_message(&rp, msg, sizeof(msg));
		oractl_error(
		    "key '%s' (fingerprint %s) is not valid: %s answered 401 (%s). Replace "
		    "it with `oractl key rotate %s`",
		    name, fp, url, msg, name);
		goto out;
	}
	if (rp.status != 200) {
		upstream_message(&rp, msg, sizeof(msg));
		oractl_error(
		    "cannot check key '%s': %s answered HTTP %ld (%s)", name, url, rp.status, msg);
		goto out;
	}
	if ((root = json_tokener_parse(rp.body)) == NULL ||
	    !json_object_object_get_ex(root, "data", &data) ||
	    !json_object_is_type(data, json_type_object)) {
		oractl_error(
		    "cannot check key '%s': %s did not answer a key description", name, url);
		goto out;
	}
	check_print(name, fp, ctl->conf->upstream.base_url, data);
	status = ORACTL_EXIT_OK;
out:
	json_object_put(root);
	oractl_http_reply_clear(&rp);
	ora_secret_free(key);
	ora_secret_free(master);
	free(url);
	return status;
}
