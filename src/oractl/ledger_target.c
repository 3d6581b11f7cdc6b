/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ledger_target.c: the ledger the configuration names, for oractl.
 *
 * The PostgreSQL password is never in the configuration: ledger.password_key
 * names a secret sealed in the keystore (`oractl init --ledger-password`),
 * unsealed here with the master key, kept only as long as the command
 * runs, and wiped when it is done with.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "config/conf.h"
#include "keys/keystore.h"
#include "oractl/ledger_target.h"

static int
target_password(const struct ora_conf *conf, struct ora_ledger_target *t, struct ora_error *err)
{
	struct ora_secret *master = NULL, *pw = NULL;
	char *copy;
	int r = -1;

	if (ora_keystore_init(err) != 0 ||
	    ora_master_key_load_configured(conf->daemon.master_key, &master, err) != 0)
		goto out;
	if (ora_key_open(master, conf->daemon.state_dir, conf->ledger.password_key, &pw, err) != 0) {
		ora_error_set(err,
		    "cannot unseal the ledger's database password '%s' (ledger.password_key): %s; "
		    "seal it with `oractl init --ledger-password`",
		    conf->ledger.password_key, err->msg);
		goto out;
	}
	copy = ora_xcalloc(1, ora_secret_len(pw) + 1);
	memcpy(copy, ora_secret_data(pw), ora_secret_len(pw));
	t->password = copy;
	r = 0;
out:
	ora_secret_free(pw);
	ora_secret_free(master);
	return r;
}

int
oractl_ledger_target_conf(
    const struct ora_conf *conf, struct ora_ledger_target *t, struct ora_error *err)
{
	memset(t, 0, sizeof(*t));
	if (conf->ledger.kind == ORA_LEDGER_CONF_SQLITE) {
		t->kind = ORA_LEDGER_SQLITE;
		t->path = ora_xasprintf("%s/%s", conf->daemon.state_dir, ORA_LEDGER_FILE);
		return 0;
	}
	t->kind = ORA_LEDGER_POSTGRESQL;
	t->conninfo = conf->ledger.conninfo;
	t->host_name = conf->ledger.host_name;
	if (conf->ledger.password_key != NULL && target_password(conf, t, err) != 0) {
		oractl_ledger_target_clear(t);
		return -1;
	}
	return 0;
}

int
oractl_ledger_target(struct oractl *ctl, struct ora_ledger_target *t)
{
	struct ora_error err;

	memset(t, 0, sizeof(*t));
	if (oractl_conf(ctl) != 0)
		return -1;
	if (oractl_ledger_target_conf(ctl->conf, t, &err) != 0) {
		oractl_error("%s", err.msg);
		return -1;
	}
	return 0;
}

void
oractl_ledger_target_clear(struct ora_ledger_target *t)
{
	free((char *)t->path);
	if (t->password != NULL) {
		explicit_bzero((char *)t->password, strlen(t->password));
		free((char *)t->password);
	}
	memset(t, 0, sizeof(*t));
}

const char *
oractl_ledger_target_name(const struct ora_ledger_target *t)
{
	return t->kind == ORA_LEDGER_SQLITE ? t->path : "the PostgreSQL ledger";
}
