/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * cmd_key_limits.c: the second table of `oractl key list`: what OpenRouter
 * says about each key (its limit, usage and what remains) beside what
 * ora's ledger has charged to that key, with a flag where they disagree.
 *
 * A provisioned key is asked about through the management API by its hash
 * (which also works for a key that is disabled); any other key is asked
 * about with itself (GET /key). The ledger side is the sum of the requests
 * recorded with that key name since the key was provisioned (since ever for
 * a key ora did not provision): settled costs, plus reservations of
 * requests not yet settled.
 *
 * They can differ a little for honest reasons: a reservation counts its
 * whole reservation until it settles, OpenRouter's usage lags a few
 * seconds, and a key used outside ora is charged upstream only. The flag
 * is raised beyond DRIFT_MIN_PICO or DRIFT_PERMILLE of the larger side,
 * whichever is more: small enough that one request spent around ora
 * shows, since that is what the flag is for.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/money.h"
#include "common/util.h"
#include "config/conf.h"
#include "keys/keystore.h"
#include "ledger/ledger.h"
#include "oractl/http.h"
#include "oractl/ledger_target.h"
#include "oractl/mgmt.h"
#include "oractl/oractl.h"

#define DRIFT_MIN_PICO (ORA_PICO_PER_USD / 1000000) /* 0.000001 USD */
#define DRIFT_PERMILLE 10                           /* 1% */
#define CELL_MAX 48
#define NOTE_MAX 160
#define MANAGEMENT_SUFFIX ".management"

/* One key as OpenRouter sees it. */
struct limits_view {
	int answered; /* 1 when OpenRouter described the key */
	char limit[CELL_MAX], reset[CELL_MAX], usage[CELL_MAX], remaining[CELL_MAX];
	ora_pico usage_pico;
	int disabled;
	char note[NOTE_MAX]; /* why there is no answer */
};

/* An amount field as USD text, or dflt when null or absent. */
static void
money_cell(struct json_object *data, const char *key, const char *dflt, char *out, ora_pico *pico)
{
	struct json_object *v;
	ora_pico p;

	if (!json_object_object_get_ex(data, key, &v) || v == NULL ||
	    ora_money_parse(json_object_get_string(v), &p) != 0) {
		ora_strlcpy(out, dflt, CELL_MAX);
		return;
	}
	ora_money_format(p, out, CELL_MAX);
	if (pico != NULL)
		*pico = p;
}

static void
view_fill(struct limits_view *vw, struct json_object *data)
{
	struct json_object *v;

	vw->answered = 1;
	money_cell(data, "limit", "none", vw->limit, NULL);
	money_cell(data, "usage", "?", vw->usage, &vw->usage_pico);
	money_cell(data, "limit_remaining", strcmp(vw->limit, "none") == 0 ? "unlimited" : "?",
	    vw->remaining, NULL);
	if (json_object_object_get_ex(data, "limit_reset", &v) && v != NULL)
		ora_strlcpy(vw->reset, json_object_get_string(v), CELL_MAX);
	else
		ora_strlcpy(vw->reset, "never", CELL_MAX);
	vw->disabled = json_object_object_get_ex(data, "disabled", &v) && v != NULL &&
	               json_object_get_boolean(v);
}

/* Ask about one key. Returns -1 only when OpenRouter cannot be reached
 * (err says why); a refusal is a note in vw. */
static int
view_fetch(struct oractl *ctl, const struct ora_secret *master, const char *name,
    const struct oractl_key_meta *meta, struct limits_view *vw, struct ora_error *err)
{
	struct oractl_http_reply rp = {0, NULL, 0, NULL};
	struct ora_secret *key = NULL;
	struct json_object *root = NULL, *data;
	char *url = NULL, msg[ORA_ERROR_MAX];
	struct oractl_http_request rq = {"GET", NULL, NULL, NULL, ORACTL_UPSTREAM_TIMEOUT_S, NULL};
	const char *state_dir = ctl->conf->daemon.state_dir;
	struct ora_error kerr;
	int ret = 0;

	if (meta != NULL && meta->management != NULL &&
	    ora_key_open_kind(
	        master, state_dir, ORA_KEY_MANAGEMENT, meta->management, &key, &kerr) == 0) {
		url = ora_xasprintf("%s/keys/%s", ctl->conf->upstream.base_url, meta->hash);
	} else if (ora_key_open(master, state_dir, name, &key, &kerr) == 0) {
		url = ora_xasprintf("%s/key", ctl->conf->upstream.base_url);
	} else {
		snprintf(vw->note, sizeof(vw->note), "cannot open the key");
		return 0;
	}
	rq.url = url;
	rq.bearer = key;
	if (oractl_http(&rq, &rp, err) != 0) {
		ret = -1;
	} else if (rp.status != 200) {
		snprintf(vw->note, sizeof(vw->note), "OpenRouter answered %ld: %s", rp.status,
		    oractl_mgmt_message(&rp, msg, sizeof(msg)));
	} else if ((data = oractl_mgmt_data(&rp, &root)) == NULL) {
		snprintf(vw->note, sizeof(vw->note), "OpenRouter's answer has no data");
	} else {
		view_fill(vw, data);
	}
	json_object_put(root);
	oractl_http_reply_clear(&rp);
	ora_secret_free(key);
	free(url);
	return ret;
}

/* The ledger's spend on key name since since_ms, as text; *pico set when
 * known. */
static int
ledger_cell(struct ora_ledger *l, const char *name, int64_t since_ms, char *out, ora_pico *pico)
{
	struct ora_error err;

	if (l == NULL ||
	    ora_ledger_spent(l, "key_name", name, since_ms, INT64_MAX, pico, &err) != 0) {
		ora_strlcpy(out, "?", CELL_MAX);
		return -1;
	}
	ora_money_format(*pico, out, CELL_MAX);
	return 0;
}

/* "ok", or the disagreement; 1 when flagged. */
static int
drift_cell(ora_pico upstream, ora_pico ledger, char *out)
{
	ora_pico diff = upstream > ledger ? upstream - ledger : ledger - upstream,
	         larger = upstream > ledger ? upstream : ledger,
	         tolerance = larger / 1000 * DRIFT_PERMILLE;
	char amount[ORA_MONEY_TEXT_MAX];

	if (tolerance < DRIFT_MIN_PICO)
		tolerance = DRIFT_MIN_PICO;
	if (diff <= tolerance) {
		ora_strlcpy(out, "ok", CELL_MAX);
		return 0;
	}
	ora_money_format(diff, amount, sizeof(amount));
	snprintf(out, CELL_MAX, "DIFFERS by %s", amount);
	return 1;
}

/* The ledger the configuration names (the host's SQLite file, or the
 * shared PostgreSQL ledger), or NULL with the reason in note. */
static struct ora_ledger *
ledger_open(const struct ora_conf *conf, char *note, size_t size)
{
	struct ora_ledger_target t;
	struct ora_ledger *l = NULL;
	struct ora_error err;

	if (oractl_ledger_target_conf(conf, &t, &err) != 0) {
		snprintf(note, size, "%s", err.msg);
		return NULL;
	}
	if (t.kind == ORA_LEDGER_SQLITE && access(t.path, F_OK) != 0)
		snprintf(note, size, "no ledger at %s yet", t.path);
	else if (ora_ledger_open_target(&t, ORA_LEDGER_READ_ONLY, &l, &err) != 0)
		snprintf(note, size, "%s", err.msg);
	oractl_ledger_target_clear(&t);
	return l;
}

/* Management keys are listed by name only: they serve no request. */
static void
list_management(const char *state_dir)
{
	char *dir = ora_key_dir(state_dir);
	size_t len, slen = strlen(MANAGEMENT_SUFFIX);
	struct dirent *de;
	int any = 0;
	DIR *d;

	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			len = strlen(de->d_name);
			if (len <= slen || de->d_name[0] == '.' ||
			    strcmp(de->d_name + len - slen, MANAGEMENT_SUFFIX) != 0)
				continue;
			printf("%s%.*s",
			    any++ ? ", " : "\nmanagement keys (never used for requests): ",
			    (int)(len - slen), de->d_name);
		}
		closedir(d);
	}
	if (any)
		printf("\n");
	free(dir);
}

int
oractl_key_list_limits(
    struct oractl *ctl, const struct ora_secret *master, char *const *names, size_t n)
{
	char ledger_note[ORA_ERROR_MAX] = "", spent[CELL_MAX], check[CELL_MAX];
	const char *state_dir = ctl->conf->daemon.state_dir;
	struct ora_ledger *l;
	int unreachable = 0, flagged = 0, width = (int)strlen("NAME"), has_meta, stored;
	char *path;
	struct oractl_key_meta meta;
	struct limits_view vw;
	struct ora_error err;
	ora_pico ledger_pico = 0;
	size_t i;

	oractl_orad_fold(ctl); /* the spend of a request that ended a moment ago */
	l = ledger_open(ctl->conf, ledger_note, sizeof(ledger_note));
	list_management(state_dir);
	for (i = 0; i < n; i++)
		if ((int)strlen(names[i]) > width)
			width = (int)strlen(names[i]);
	printf(
	    "\nOpenRouter's side (%s), beside ora's ledger (USD):\n", ctl->conf->upstream.base_url);
	printf("%-*s  %-10s  %-8s  %-14s  %-14s  %-14s  %s\n", width, "NAME", "LIMIT", "RESET",
	    "USAGE", "REMAINING", "LEDGER", "CHECK");
	for (i = 0; i < n; i++) {
		/* Keys the configuration names but nobody stored are in the
		 * first table already. */
		path = ora_key_path(state_dir, names[i]);
		stored = access(path, F_OK) == 0;
		free(path);
		if (!stored)
			continue;
		memset(&vw, 0, sizeof(vw));
		has_meta = oractl_key_meta_load(state_dir, names[i], &meta) == 0;
		if (!unreachable &&
		    view_fetch(ctl, master, names[i], has_meta ? &meta : NULL, &vw, &err) != 0) {
			/* One failed connection says it for every key: do not
			 * wait for each in turn. */
			unreachable = 1;
			oractl_error(
			    "OpenRouter could not be reached (%s); showing ora's side only",
			    err.msg);
		}
		if (ledger_cell(l, names[i], has_meta ? meta.created_ms : 0, spent, &ledger_pico) ==
		        0 &&
		    vw.answered)
			flagged += drift_cell(vw.usage_pico, ledger_pico, check);
		else
			ora_strlcpy(check,
			    vw.answered   ? "?"
			    : unreachable ? "unreachable"
			                  : "?",
			    CELL_MAX);
		if (vw.disabled)
			ora_strlcpy(check, "DISABLED upstream", CELL_MAX);
		printf("%-*s  %-10s  %-8s  %-14s  %-14s  %-14s  %s\n", width, names[i],
		    vw.answered ? vw.limit : "?", vw.answered ? vw.reset : "?",
		    vw.answered ? vw.usage : "?", vw.answered ? vw.remaining : "?", spent, check);
		if (!vw.answered && vw.note[0] != '\0')
			printf("%-*s  (%s)\n", width, "", vw.note);
		if (has_meta && meta.disable_hash != NULL)
			printf("%-*s  (the key it replaced, hash %s, is still enabled upstream)\n",
			    width, "", meta.disable_hash);
		if (has_meta)
			oractl_key_meta_clear(&meta);
	}
	if (unreachable)
		printf("(OpenRouter could not be reached: its columns are unknown)\n");
	if (ledger_note[0] != '\0')
		printf("(ledger: %s)\n", ledger_note);
	if (flagged)
		oractl_warning(
		    "%d key%s: OpenRouter's usage and ora's ledger differ by more than "
		    "0.000001 USD and 1%%: was the key used outside ora, or are requests still "
		    "unsettled? (`oractl report --by key`)",
		    flagged, flagged == 1 ? "" : "s");
	ora_ledger_close(l);
	return flagged ? -1 : 0;
}
