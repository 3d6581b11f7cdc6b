/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * policy.c: first-match rules, cost centres and model patterns.
 *
 * Pure functions over a loaded struct ora_conf and a resolved identity: no
 * I/O and no allocation, so every decision can be tested and fuzzed
 * without sockets or NSS.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "config/conf.h"
#include "config/identity.h"
#include "config/policy.h"

/* Rules are tried in file order and the first that matches wins, as in
 * sshd's Match blocks: an operator reads the file top to bottom and stops
 * at the first rule that fits, and so does this. */
const struct ora_rule *
ora_policy_match(const struct ora_conf *conf, const struct ora_identity *id, const char **via_group)
{
	if (via_group != NULL)
		*via_group = NULL;
	if (conf == NULL || id == NULL)
		return NULL;
	for (size_t i = 0; i < conf->n_rules; i++) {
		const struct ora_rule *rule = &conf->rules[i];

		switch (rule->kind) {
		case ORA_RULE_USER:
			if (rule->name != NULL && id->user[0] != '\0' &&
			    strcmp(rule->name, id->user) == 0)
				return rule;
			break;
		case ORA_RULE_GROUP:
			if (ora_identity_in_group(id, rule->name)) {
				if (via_group != NULL)
					*via_group = rule->name;
				return rule;
			}
			break;
		case ORA_RULE_EVERYONE:
			return rule;
		}
	}
	return NULL;
}

const struct ora_cost_centre *
ora_policy_centre(const struct ora_rule *rule, const char *name)
{
	if (rule == NULL || rule->n_centres == 0)
		return NULL;
	if (name == NULL || name[0] == '\0')
		return rule->centres[0];
	for (size_t i = 0; i < rule->n_centres; i++) {
		if (strcmp(rule->centres[i]->name, name) == 0)
			return rule->centres[i];
	}
	return NULL;
}

const char *
ora_policy_model_allowed(
    const struct ora_rule *rule, const struct ora_cost_centre *cc, const char *model)
{
	const char *allowed_by = NULL;
	const struct ora_role *role;

	if (rule == NULL || rule->role == NULL || model == NULL || model[0] == '\0')
		return NULL;
	role = rule->role;
	for (size_t i = 0; i < role->n_models; i++) {
		if (ora_glob_match(role->models[i], model)) {
			allowed_by = role->models[i];
			break;
		}
	}
	if (allowed_by == NULL)
		return NULL;
	/* A cost centre narrows the role; it never widens it. */
	if (cc != NULL && cc->n_models > 0) {
		for (size_t i = 0; i < cc->n_models; i++) {
			if (ora_glob_match(cc->models[i], model))
				return allowed_by;
		}
		return NULL;
	}
	return allowed_by;
}

/* Append to buf without overflowing; on truncation end the text with "..."
 * so a reader knows the list goes on. */
static void
append(char *buf, size_t size, size_t *len, const char *s)
{
	size_t n = strlen(s);

	if (*len + 1 >= size)
		return;
	if (*len + n < size) {
		memcpy(buf + *len, s, n + 1);
		*len += n;
		return;
	}
	memcpy(buf + *len, s, size - *len - 1);
	buf[size - 1] = '\0';
	*len = size - 1;
	if (size > 4)
		memcpy(buf + size - 4, "...", 4);
}

void
ora_policy_describe_models(
    const struct ora_rule *rule, const struct ora_cost_centre *cc, char *buf, size_t size)
{
	size_t len = 0;

	if (buf == NULL || size == 0)
		return;
	buf[0] = '\0';
	if (rule == NULL || rule->role == NULL)
		return;
	for (size_t i = 0; i < rule->role->n_models; i++) {
		if (i > 0)
			append(buf, size, &len, ", ");
		append(buf, size, &len, rule->role->models[i]);
	}
	if (cc == NULL || cc->n_models == 0)
		return;
	append(buf, size, &len, "; in cost centre ");
	append(buf, size, &len, cc->name);
	append(buf, size, &len, ": ");
	for (size_t i = 0; i < cc->n_models; i++) {
		if (i > 0)
			append(buf, size, &len, ", ");
		append(buf, size, &len, cc->models[i]);
	}
}

const char *
ora_policy_rule_match(const struct ora_rule *rule, char *buf, size_t size)
{
	if (rule->kind == ORA_RULE_EVERYONE)
		ora_strlcpy(buf, "everyone", size);
	else
		snprintf(buf, size, "%s %s", rule->kind == ORA_RULE_USER ? "user" : "group", rule->name);
	return buf;
}
