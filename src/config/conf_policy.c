/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * conf_policy.c: the admission settings of roles, cost centres and the
 * policy section: which plugins may be used, the provider preferences
 * enforced on every request, and the extra request fields a site passes
 * through. What they mean at the door: src/admit/ and ora.conf(5).
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit/admit.h"
#include "common/util.h"
#include "config/conf.h"
#include "config/conf_internal.h"

static void
parse_names(struct conf_loader *ld, const config_setting_t *s, const char *where,
    const struct conf_field *f, void *target)
{
	char ***slot = (char ***)((char *)target + f->offset);
	size_t *count = (size_t *)((char *)target + f->count_offset);
	int n = config_setting_length(s);

	*slot = ora_xcalloc((size_t)n + 1, sizeof(char *));
	*count = 0;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *v = config_setting_get_string(e);

		if (v == NULL || *v == '\0') {
			conf_diag(ld, CONF_ERROR, e,
			    "element %d of '%s' %s must be a non-empty string; e.g. %s = %s;", i + 1,
			    f->name, where, f->name, f->example);
			continue;
		}
		if (f->type == F_PLUGINS && !admit_plugin_known(v)) {
			conf_diag(ld, CONF_ERROR, e,
			    "plugin '%s' %s is not known to ora, which cannot tell what it costs or "
			    "which model it runs; known: response-healing, context-compression, "
			    "moderation, web, file-parser, auto-router, auto-beta-router, "
			    "pareto-router, fusion",
			    v, where);
			continue;
		}
		if (f->type == F_FIELD_NAMES &&
		    strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(v)) {
			conf_diag(ld, CONF_ERROR, e,
			    "'%s' %s is not a request field name (lower-case letters, digits, '_')",
			    v, where);
			continue;
		}
		(*slot)[(*count)++] = ora_xstrdup(v);
	}
}

void
conf_parse_policy_value(struct conf_loader *ld, const config_setting_t *s, const char *where,
    const struct conf_field *f, void *target)
{
	void *slot = (char *)target + f->offset;
	char *inner;
	const char *v;

	switch (f->type) {
	case F_PLUGINS:
	case F_FIELD_NAMES:
		parse_names(ld, s, where, f, target);
		return;
	case F_PROVIDER: {
		struct ora_provider_prefs *p = slot;
		inner = ora_xasprintf("%s, provider", where);
		conf_parse_fields(ld, s, inner, &conf_tables[CONF_T_PROVIDER], p);
		free(inner);
		p->set = 1;
		return;
	}
	case F_MAX_PRICE: {
		struct ora_max_price *mp = slot;
		inner = ora_xasprintf("%s, max_price (USD per million tokens)", where);
		/* The table is in the order of enum ora_price_part. */
		mp->set = conf_parse_fields(ld, s, inner, &conf_tables[CONF_T_MAX_PRICE], mp);
		free(inner);
		return;
	}
	case F_DATA_COLLECTION:
		v = config_setting_get_string(s);
		if (strcmp(v, "deny") == 0)
			*(enum ora_data_collection *)slot = ORA_DATA_DENY;
		else if (strcmp(v, "allow") == 0)
			*(enum ora_data_collection *)slot = ORA_DATA_ALLOW;
		else
			conf_diag(ld, CONF_ERROR, s,
			    "data_collection '%s' %s is not known; use \"deny\" (providers that may "
			    "train on or keep prompts are never used) or \"allow\"", v, where);
		return;
	default:
		return;
	}
}

void
conf_validate_policy(struct conf_loader *ld)
{
	const struct ora_conf *conf = ld->conf;

	for (size_t i = 0; i < conf->n_rules; i++) {
		const struct ora_rule *r = &conf->rules[i];

		for (size_t k = 0; r->role != NULL && k < r->n_centres; k++) {
			struct json_object *prefs = admit_site_provider(r->role, r->centres[k]), *only;

			if (prefs != NULL && json_object_object_get_ex(prefs, "only", &only) &&
			    json_object_array_length(only) == 0)
				conf_diag(ld, CONF_ERROR, ld->raw_rules[i].setting,
				    "under the rule at line %d, the provider lists of role '%s' and cost "
				    "centre '%s' leave no provider (their 'only' lists share none, or "
				    "every one is ignored), so every request would be refused; make them "
				    "overlap",
				    r->line, r->role->name, r->centres[k]->name);
			json_object_put(prefs);
		}
	}
}
