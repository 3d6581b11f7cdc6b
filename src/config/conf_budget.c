/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * conf_budget.c: spending limits in ora.conf.
 *
 * A budget is written the same way wherever it appears (in a role, a cost
 * centre, budgets.global, budgets.keys, budgets.users):
 *   { usd = 5.0; period = "daily"; warn = 0.8; }
 * Amounts become integer picodollars here, once, so that everything that
 * adds or compares money later is exact. A budget that cannot be read
 * exactly is an error, never a default: a limit the operator believes in
 * force must be in force.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/money.h"
#include "common/period.h"
#include "common/util.h"
#include "config/conf.h"
#include "config/conf_internal.h"

/* Bit of "usd" in what conf_parse_fields returns: it is first in every
 * budget table (conf_parse.c). */
#define BUDGET_USD_SEEN 1u

/* "in role 'staff'" -> "in the budget of role 'staff'". */
static char *
budget_where(const char *where, const struct conf_field *f)
{
	if (f->note != NULL)
		return ora_xasprintf("in %s", f->note);
	return ora_xasprintf(
	    "in the budget of %s", strncmp(where, "in ", 3) == 0 ? where + 3 : where);
}

static void
budget_usd(struct conf_loader *ld, const config_setting_t *s, const char *where, ora_pico *slot)
{
	ora_pico v;

	if (config_setting_type(s) != CONFIG_TYPE_FLOAT) {
		long long x = config_setting_get_int64(s);

		if (x < 0) {
			conf_diag(ld, CONF_ERROR, s,
			    "'usd' %s is %lld, but it must be 0 or more; e.g. usd = 5.0; (0 allows "
			    "no spending at all)",
			    where, x);
			return;
		}
		if (x > INT64_MAX / ORA_PICO_PER_USD) {
			conf_diag(ld, CONF_ERROR, s,
			    "'usd' %s is %lld, more than ora can count (about 9.2 million USD); "
			    "write a smaller amount, or remove the budget for no limit",
			    where, x);
			return;
		}
		*slot = (ora_pico)x * ORA_PICO_PER_USD;
		return;
	}
	double d = config_setting_get_float(s);
	if (isnan(d)) {
		conf_diag(ld, CONF_ERROR, s,
		    "'usd' %s is not a number; write an amount in US dollars, e.g. usd = 5.0;",
		    where);
		return;
	}
	if (d < 0) {
		conf_diag(ld, CONF_ERROR, s,
		    "'usd' %s is %g, but it must be 0 or more; e.g. usd = 5.0; (0 allows no "
		    "spending at all)",
		    where, d);
		return;
	}
	if (ora_money_from_usd(d, &v) != 0) {
		conf_diag(ld, CONF_ERROR, s,
		    "'usd' %s is %g, more than ora can count (about 9.2 million USD); write a "
		    "smaller amount, or remove the budget for no limit",
		    where, d);
		return;
	}
	*slot = v;
}

static void
budget_warn(struct conf_loader *ld, const config_setting_t *s, const char *where, double *slot)
{
	double d = config_setting_type(s) == CONFIG_TYPE_FLOAT
	               ? config_setting_get_float(s)
	               : (double)config_setting_get_int64(s);

	/* Written so that NaN fails too. */
	if (!(d > 0 && d <= 1)) {
		conf_diag(ld, CONF_ERROR, s,
		    "'warn' %s is %g, but it must be more than 0 and at most 1: the "
		    "fraction of usd spent at which to warn; e.g. warn = 0.8; warns at 80%%",
		    where, d);
		return;
	}
	*slot = d;
}

/* One budget group; target is what the table's offsets are relative to
 * (the budget itself, or the named budget holding it). */
static void
budget_group(struct conf_loader *ld, const config_setting_t *s, const char *where,
    const struct conf_table *t, void *target, struct ora_budget *b)
{
	unsigned seen;

	b->period = ORA_PERIOD_MONTHLY;
	b->line = (int)config_setting_source_line(s);
	seen = conf_parse_fields(ld, s, where, t, target);
	if (!(seen & BUDGET_USD_SEEN)) {
		/* where is "in the budget of role 'staff'", "in budgets.global". */
		conf_diag(ld, CONF_ERROR, s,
		    "%s has no usd; add e.g. usd = 5.0; the most it may spend in each period (0 "
		    "allows nothing), or remove the budget",
		    where + 3);
		return;
	}
	b->set = 1;
}

/* budgets.keys or budgets.users: NAME = { budget }; each. The group name
 * is the key or user name; since libconfig names cannot hold a '.', an
 * entry may give the real name in `key` or `user`. */
static void
budget_map(
    struct conf_loader *ld, const config_setting_t *s, const struct conf_field *f, void *target)
{
	int users = f->type == F_USER_BUDGETS;
	struct ora_named_budget **arr = (struct ora_named_budget **)((char *)target + f->offset);
	size_t *count = (size_t *)((char *)target + f->count_offset);
	const config_setting_t ***where_set =
	    users ? &ld->user_budget_settings : &ld->key_budget_settings;
	const struct conf_table *t = &conf_tables[users ? CONF_T_USER_BUDGET : CONF_T_KEY_BUDGET];
	int n = config_setting_length(s);

	*arr = ora_xcalloc((size_t)n + 1, sizeof(**arr));
	*where_set = ora_xcalloc((size_t)n + 1, sizeof(**where_set));
	*count = (size_t)n;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		struct ora_named_budget *nb = &(*arr)[i];
		char *where;

		nb->name = ora_xstrdup(config_setting_name(e));
		(*where_set)[i] = e;
		where = ora_xasprintf("in budgets.%s.%s", f->name, nb->name);
		if (conf_want_type(ld, e, CONFIG_TYPE_GROUP,
		        users ? "a user budget" : "a key budget",
		        "NAME = { usd = 50.0; period = \"monthly\"; };") == 0)
			budget_group(ld, e, where, t, nb, &nb->budget);
		free(where);
		/* Two entries can name the same one only through key/user. */
		for (int j = 0; j < i; j++) {
			if (strcmp((*arr)[j].name, nb->name) == 0)
				conf_diag(ld, CONF_ERROR, e,
				    "budgets.%s has a second budget for %s '%s' (the first is "
				    "at line %d); merge the two into one",
				    f->name, users ? "user" : "key", nb->name,
				    (*arr)[j].budget.line);
		}
	}
}

void
conf_parse_budget_value(struct conf_loader *ld, const config_setting_t *s, const char *where,
    const struct conf_field *f, void *target)
{
	void *slot = (char *)target + f->offset;
	const char *v;
	char *inner;

	switch (f->type) {
	case F_USD:
		budget_usd(ld, s, where, (ora_pico *)slot);
		return;
	case F_FRACTION:
		budget_warn(ld, s, where, (double *)slot);
		return;
	case F_PERIOD:
		v = config_setting_get_string(s);
		if (ora_period_parse(v, (enum ora_period *)slot) != 0)
			conf_diag(ld, CONF_ERROR, s,
			    "period '%s' %s is not known; use one of total, daily, weekly or "
			    "monthly (calendar periods in budgets.timezone)",
			    v, where);
		return;
	case F_TIMEZONE:
		v = config_setting_get_string(s);
		if (!ora_period_zone_valid(v)) {
			conf_diag(ld, CONF_ERROR, s,
			    "timezone '%s' %s is not a time zone this system knows (no "
			    "/usr/share/zoneinfo/%s); use e.g. Europe/Zurich or UTC (install "
			    "tzdata for the others)",
			    v, where, v);
			return;
		}
		free(*(char **)slot);
		*(char **)slot = ora_xstrdup(v);
		return;
	case F_BUDGET:
		inner = budget_where(where, f);
		budget_group(
		    ld, s, inner, &conf_tables[CONF_T_BUDGET], slot, (struct ora_budget *)slot);
		free(inner);
		return;
	case F_KEY_BUDGETS:
	case F_USER_BUDGETS:
		budget_map(ld, s, f, target);
		return;
	default:
		return;
	}
}

static char *
budget_key_names(const struct ora_conf *conf)
{
	char *s = ora_xstrdup(""), *t;

	for (size_t i = 0; i < conf->n_centres; i++) {
		int dup = 0;

		if (conf->centres[i].key == NULL)
			continue;
		for (size_t j = 0; j < i && !dup; j++)
			dup = conf->centres[j].key != NULL &&
			      strcmp(conf->centres[j].key, conf->centres[i].key) == 0;
		if (dup)
			continue;
		t = ora_xasprintf("%s%s%s", s, *s ? ", " : "", conf->centres[i].key);
		free(s);
		s = t;
	}
	return s;
}

void
conf_validate_budgets(struct conf_loader *ld)
{
	const struct ora_budgets_conf *b = &ld->conf->budgets;

	for (size_t i = 0; i < b->n_keys; i++) {
		const char *name = b->keys[i].name;
		size_t k;
		char *keys;

		for (k = 0; k < ld->conf->n_centres; k++) {
			if (ld->conf->centres[k].key != NULL &&
			    strcmp(ld->conf->centres[k].key, name) == 0)
				break;
		}
		if (k < ld->conf->n_centres)
			continue;
		keys = budget_key_names(ld->conf);
		conf_diag(ld, CONF_WARNING, ld->key_budget_settings[i],
		    "the budget for key '%s' applies to nothing: no cost centre uses key '%s'; "
		    "check the spelling (the keys in use are: %s) or remove it",
		    name, name, keys);
		free(keys);
	}
	for (size_t i = 0; i < b->n_users; i++) {
		if (!conf_name_exists(0, b->users[i].name))
			conf_diag(ld, CONF_WARNING, ld->user_budget_settings[i],
			    "the budget for user '%s' applies to nobody: there is no user '%s' on "
			    "this system; check the spelling (it applies once the user exists)",
			    b->users[i].name, b->users[i].name);
	}
}
