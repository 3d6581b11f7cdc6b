/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * cmd_key_provision.c: keys whose limit OpenRouter itself enforces:
 * `key add --management`, `key provision` and `key rotate --provision`.
 *
 * ora's budgets are enforced by orad; a key made here also carries a limit
 * at OpenRouter, so that even a copy of the key used around every ora
 * host stops at that limit (doc/design.md, "OpenRouter-side limits").
 *
 * Order of a rotation, so that NAME always has a working key: the new key
 * is created upstream while the old one still serves; it replaces the old
 * one in the keystore atomically; orad reloads and sends new requests with
 * it; only then is the old key disabled upstream.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/money.h"
#include "common/util.h"
#include "config/conf.h"
#include "keys/keystore.h"
#include "oractl/audit.h"
#include "oractl/http.h"
#include "oractl/mgmt.h"
#include "oractl/oractl.h"

#define LABEL_PREFIX "ora " /* the key's name upstream without --label */

static int
path_exists(const char *state_dir, enum ora_key_kind kind, const char *name)
{
	char *path = ora_key_path_kind(state_dir, kind, name);
	struct stat st;
	int found = lstat(path, &st) == 0;

	free(path);
	return found;
}

int
oractl_key_add_management(struct oractl *ctl, const char *name, int force, int prompt)
{
	char fp[ORA_KEY_FINGERPRINT_HEX + 1], *path = NULL;
	struct ora_secret *master = NULL, *key = NULL;
	int shape, status = ORACTL_EXIT_ERROR;
	const char *state_dir;
	struct ora_error err;

	if (oractl_conf(ctl) != 0)
		return ORACTL_EXIT_ERROR;
	state_dir = ctl->conf->daemon.state_dir;
	path = ora_key_path_kind(state_dir, ORA_KEY_MANAGEMENT, name);
	/* One name, one meaning: a cost centre naming NAME must never find
	 * a management key there. */
	if (path_exists(state_dir, ORA_KEY_UPSTREAM, name)) {
		oractl_error("'%s' is already an upstream key; give the management key another "
		             "name",
		    name);
		goto out;
	}
	if (!force && access(path, F_OK) == 0) {
		oractl_error(
		    "management key '%s' exists (%s); use --force to replace it", name, path);
		goto out;
	}
	if (ora_master_key_load_configured(ctl->conf->daemon.master_key, &master, &err) != 0 ||
	    oractl_read_key(name, prompt, &key, &err) != 0) {
		oractl_error("%s", err.msg);
		goto out;
	}
	if ((shape = ora_key_check_shape(ora_secret_data(key), ora_secret_len(key), &err)) < 0) {
		oractl_error("refusing management key '%s': %s", name, err.msg);
		goto out;
	}
	if (shape > 0)
		oractl_warning("management key '%s': %s", name, err.msg);
	if (ora_key_seal_kind(master, state_dir, ORA_KEY_MANAGEMENT, name, ora_secret_data(key),
	        ora_secret_len(key), &err) != 0) {
		oractl_error("%s", err.msg);
		goto out;
	}
	ora_key_fingerprint(key, fp);
	printf("management key '%s' stored (fingerprint %s); orad never uses it for requests\n",
	    name, fp);
	oractl_audit(ctl, "key add", "management key '%s' stored%s, fingerprint %s", name,
	    force ? " (--force)" : "", fp);
	status = ORACTL_EXIT_OK;
out:
	ora_secret_free(key);
	ora_secret_free(master);
	free(path);
	return status;
}

/* The limit as an exact decimal in USD, > 0; normalised into *out. */
static int
limit_arg(const char *text, char **out)
{
	char buf[ORA_MONEY_TEXT_MAX];
	ora_pico v;

	if (ora_money_parse(text, &v) != 0 || v <= 0) {
		oractl_error("--limit %s: expected an amount in USD greater than 0, such as 25 or "
		             "12.50",
		    text);
		return -1;
	}
	ora_money_format(v, buf, sizeof(buf));
	*out = ora_xstrdup(buf);
	return 0;
}

static int
reset_arg(const char *text, char **out)
{
	if (strcmp(text, "daily") != 0 && strcmp(text, "weekly") != 0 &&
	    strcmp(text, "monthly") != 0) {
		oractl_error("--reset %s: expected daily, weekly or monthly (OpenRouter resets "
		             "limits at midnight UTC, weeks starting on Monday)",
		    text);
		return -1;
	}
	*out = ora_xstrdup(text);
	return 0;
}

static int
label_arg(const char *text, char **out)
{
	size_t i, len = strlen(text);

	if (len == 0 || len > ORACTL_MGMT_LABEL_MAX) {
		oractl_error("--label: expected 1 to %d characters", ORACTL_MGMT_LABEL_MAX);
		return -1;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f) {
			oractl_error("--label: control characters are not allowed");
			return -1;
		}
	*out = ora_xstrdup(text);
	return 0;
}

enum { OPT_LIMIT = 256, OPT_RESET, OPT_LABEL, OPT_MANAGEMENT };

/* key provision NAME --limit USD [--reset W] [--label T] [--management M] */
static int
provision_args(int argc, char **argv, struct oractl_key_meta *m, const char **name,
    const char **mname, int *status)
{
	static const struct option longopts[] = {{"limit", required_argument, NULL, OPT_LIMIT},
	    {"reset", required_argument, NULL, OPT_RESET},
	    {"label", required_argument, NULL, OPT_LABEL},
	    {"management", required_argument, NULL, OPT_MANAGEMENT},
	    {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	int c, r = 0;

	*status = ORACTL_EXIT_USAGE;
	optind = 0;
	opterr = 0;
	while (r == 0 && (c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			*status = oractl_usage("key", 1);
			return -1;
		} else if (c == OPT_LIMIT)
			r = limit_arg(optarg, &m->limit);
		else if (c == OPT_RESET)
			r = reset_arg(optarg, &m->limit_reset);
		else if (c == OPT_LABEL)
			r = label_arg(optarg, &m->label);
		else if (c == OPT_MANAGEMENT)
			*mname = optarg;
		else {
			oractl_error("key provision: unknown option or missing value '%s'",
			    argv[optind - 1]);
			r = -1;
		}
	}
	if (r != 0)
		return -1;
	if (argc - optind != 1 || m->limit == NULL) {
		oractl_error("key provision takes one NAME and --limit USD");
		*status = oractl_usage("key", 0);
		return -1;
	}
	*name = argv[optind];
	if (!ora_key_name_valid(*name)) {
		oractl_error("'%s' is not a valid key name: use 1-64 letters, digits, '_', '.' or "
		             "'-', not starting with '.'",
		    *name);
		return -1;
	}
	if (m->label == NULL)
		m->label = ora_xasprintf(LABEL_PREFIX "%s", *name);
	return 0;
}

static void
describe_limit(const struct oractl_key_meta *m, char *buf, size_t size)
{
	snprintf(buf, size, "%s USD%s%s", m->limit, m->limit_reset ? ", reset " : "",
	    m->limit_reset ? m->limit_reset : "");
}

/* Seal key as NAME; if that fails, the key just made upstream must not
 * stay alive with nobody holding it: delete it. */
static int
seal_or_undo(struct oractl *ctl, const struct ora_secret *master, const struct ora_secret *mkey,
    const char *name, const struct oractl_key_meta *m, const struct ora_secret *key, char *fp)
{
	struct ora_error err;

	if (ora_key_seal(master, ctl->conf->daemon.state_dir, name, ora_secret_data(key),
	        ora_secret_len(key), &err) == 0) {
		ora_key_fingerprint(key, fp);
		return 0;
	}
	oractl_error("%s", err.msg);
	if (oractl_mgmt_disable(ctl, mkey, m->management, m->hash, 1) == 0)
		oractl_error("the new key could not be stored, so it was deleted at OpenRouter");
	else
		oractl_error(
		    "the new key could not be stored, nor deleted: delete the key with hash "
		    "%s at https://openrouter.ai/settings/keys",
		    m->hash);
	return -1;
}

/* The master key and the management key mname, or -1 after printing. */
static int
open_keys(
    struct oractl *ctl, const char *mname, struct ora_secret **master, struct ora_secret **mkey)
{
	struct ora_error err;

	if (ora_master_key_load_configured(ctl->conf->daemon.master_key, master, &err) != 0 ||
	    ora_key_open_kind(
	        *master, ctl->conf->daemon.state_dir, ORA_KEY_MANAGEMENT, mname, mkey, &err) != 0) {
		oractl_error("%s", err.msg);
		return -1;
	}
	return 0;
}

int
oractl_key_provision(struct oractl *ctl, int argc, char **argv)
{
	struct ora_secret *master = NULL, *mkey = NULL, *key = NULL;
	char fp[ORA_KEY_FINGERPRINT_HEX + 1], limit[64], *users = NULL;
	struct oractl_key_meta m = {0};
	const char *name = NULL, *mname = NULL, *state_dir;
	int status;

	if (provision_args(argc, argv, &m, &name, &mname, &status) != 0)
		goto out;
	status = ORACTL_EXIT_ERROR;
	if (oractl_conf(ctl) != 0)
		goto out;
	state_dir = ctl->conf->daemon.state_dir;
	if (path_exists(state_dir, ORA_KEY_UPSTREAM, name)) {
		oractl_error("key '%s' exists; replace it with `oractl key rotate --provision %s` "
		             "(or remove it first)",
		    name, name);
		goto out;
	}
	if (path_exists(state_dir, ORA_KEY_MANAGEMENT, name)) {
		oractl_error("'%s' is a management key; give the new key another name", name);
		goto out;
	}
	if (oractl_mgmt_choose(state_dir, mname, &m.management) != 0 ||
	    open_keys(ctl, m.management, &master, &mkey) != 0)
		goto out;
	m.created_ms = ora_wall_ms();
	if (oractl_mgmt_create(ctl, mkey, m.management, &m, &key) != 0 ||
	    seal_or_undo(ctl, master, mkey, name, &m, key, fp) != 0)
		goto out;
	describe_limit(&m, limit, sizeof(limit));
	printf("key '%s' provisioned at OpenRouter (hash %s, limit %s, label \"%s\") and stored "
	       "(fingerprint %s)\n",
	    name, m.hash, limit, m.label, fp);
	if (oractl_key_meta_save(state_dir, name, &m) != 0)
		oractl_warning(
		    "key '%s' works, but without %s/keys/%s.meta `key list` cannot show "
		    "its OpenRouter hash %s and `key rotate --provision` cannot replace it",
		    name, state_dir, name, m.hash);
	oractl_audit(ctl, "key provision",
	    "key '%s' provisioned with management key '%s': hash %s, limit %s, fingerprint %s",
	    name, m.management, m.hash, limit, fp);
	if ((users = oractl_key_users(ctl->conf, name)) == NULL)
		printf("note: no cost centre in %s uses key '%s' yet\n", ctl->conf->path, name);
	else
		printf("cost centres %s use it once orad starts or reloads (`oractl reload`)\n",
		    users);
	status = ORACTL_EXIT_OK;
out:
	oractl_key_meta_clear(&m);
	ora_secret_free(key);
	ora_secret_free(mkey);
	ora_secret_free(master);
	free(users);
	return status;
}

/* Ask orad to use the new key. 0: nothing uses the old key any more (orad
 * reloaded, is not running, or no cost centre uses NAME); -1: orad may
 * still send it. */
static int
rotate_reload(struct oractl *ctl, const char *name, const char **outcome)
{
	char *users = oractl_key_users(ctl->conf, name);
	struct ora_error err;
	int r = 0, reloaded;

	if (users == NULL) {
		*outcome = "no cost centre uses it";
	} else if ((reloaded = oractl_reload(ctl, &err)) == 0) {
		*outcome = "orad reloaded";
		printf("orad uses the new key for new requests (cost centres %s)\n", users);
	} else if (reloaded == 1) {
		*outcome = "orad not running";
		printf("%s; it will use the new key when it starts\n", err.msg);
	} else {
		*outcome = "orad did not reload";
		r = -1;
	}
	free(users);
	return r;
}

int
oractl_key_rotate_provision(struct oractl *ctl, const char *name)
{
	struct ora_secret *master = NULL, *mkey = NULL, *key = NULL;
	char fp[ORA_KEY_FINGERPRINT_HEX + 1], limit[64], *old_hash = NULL, *mname = NULL,
	                                                 *earlier = NULL;
	struct oractl_key_meta m = {0};
	const char *state_dir, *outcome = "";
	int r, status = ORACTL_EXIT_ERROR;

	if (oractl_conf(ctl) != 0)
		return ORACTL_EXIT_ERROR;
	state_dir = ctl->conf->daemon.state_dir;
	if ((r = oractl_key_meta_load(state_dir, name, &m)) != 0) {
		if (r > 0)
			oractl_error(
			    "key '%s' was not made by `oractl key provision` (there is no "
			    "%s/keys/%s.meta), so ora cannot make another like it: use `oractl "
			    "key rotate %s`, or provision a new key",
			    name, state_dir, name, name);
		goto out;
	}
	if (oractl_mgmt_choose(state_dir, m.management, &mname) != 0)
		goto out;
	free(m.management);
	m.management = mname;
	if (open_keys(ctl, m.management, &master, &mkey) != 0)
		goto out;
	if (m.limit == NULL || m.label == NULL) {
		oractl_error("%s/keys/%s.meta lacks the limit or label to provision a key like it",
		    state_dir, name);
		goto out;
	}
	/* 1: a new key upstream, while the old one still serves. */
	old_hash = m.hash;
	m.hash = NULL;
	m.created_ms = ora_wall_ms();
	if (oractl_mgmt_create(ctl, mkey, m.management, &m, &key) != 0)
		goto out;
	/* 2: it replaces the old one in the keystore, atomically. */
	if (seal_or_undo(ctl, master, mkey, name, &m, key, fp) != 0)
		goto out;
	/* A key an earlier rotation could not disable is still pending. */
	earlier = m.disable_hash;
	m.disable_hash = ora_xstrdup(old_hash);
	oractl_key_meta_save(state_dir, name, &m);
	describe_limit(&m, limit, sizeof(limit));
	printf("key '%s' rotated: new key provisioned at OpenRouter (hash %s, limit %s) and stored "
	       "(fingerprint %s)\n",
	    name, m.hash, limit, fp);
	/* 3: orad sends new requests with it. */
	if (rotate_reload(ctl, name, &outcome) != 0) {
		oractl_error(
		    "orad goes on with the old key until a reload succeeds, so the old key "
		    "(hash %s) stays enabled at OpenRouter: fix the problem above, run "
		    "`oractl reload`, then disable it at https://openrouter.ai/settings/keys",
		    old_hash);
		if (earlier != NULL)
			oractl_error(
			    "so does the key an earlier rotation left enabled (hash %s)", earlier);
		goto audit;
	}
	/* 4: only now the old key is disabled upstream. Requests in flight
	 * were authorised when they started and finish. */
	if (oractl_mgmt_disable(ctl, mkey, m.management, old_hash, 0) != 0) {
		oractl_error("the old key (hash %s) is still enabled at OpenRouter: disable it at "
		             "https://openrouter.ai/settings/keys",
		    old_hash);
		goto audit;
	}
	free(m.disable_hash);
	m.disable_hash = NULL;
	printf("the old key (hash %s) is disabled at OpenRouter\n", old_hash);
	status = ORACTL_EXIT_OK;
	if (earlier != NULL) {
		if (oractl_mgmt_disable(ctl, mkey, m.management, earlier, 0) == 0) {
			printf(
			    "the key an earlier rotation left enabled (hash %s) is disabled too\n",
			    earlier);
		} else {
			m.disable_hash = earlier;
			earlier = NULL;
			status = ORACTL_EXIT_ERROR;
		}
	}
	oractl_key_meta_save(state_dir, name, &m);
audit:
	oractl_audit(ctl, "key rotate",
	    "key '%s' provisioned again: hash %s -> %s, fingerprint %s; %s; old key %s", name,
	    old_hash, m.hash, fp, outcome,
	    status == ORACTL_EXIT_OK ? "disabled upstream" : "still enabled upstream");
out:
	oractl_key_meta_clear(&m);
	ora_secret_free(key);
	ora_secret_free(mkey);
	ora_secret_free(master);
	free(old_hash);
	free(earlier);
	return status;
}
