/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * policy.h: who may do what, decided from a resolved identity and the
 * configuration. Pure functions over immutable data: no I/O, so they can be
 * tested and fuzzed without sockets.
 */
#ifndef ORA_POLICY_H
#define ORA_POLICY_H

#include "config/conf.h"
#include "config/identity.h"

/* The first rule that matches id, or NULL. When the rule matched through a
 * group, *via_group (if not NULL) is set to that group's name (pointing
 * into the rule), else to NULL. */
const struct ora_rule *ora_policy_match(const struct ora_conf *conf,
    const struct ora_identity *id, const char **via_group);

/* The cost centre a request is billed to: the rule's default when name is
 * NULL or empty, else the granted centre with exactly that name; NULL when
 * the rule does not grant it. */
const struct ora_cost_centre *ora_policy_centre(const struct ora_rule *rule,
    const char *name);

/* Whether model may be used under rule's role and cost centre cc (cc may be
 * NULL). Returns the role pattern that allowed it, or NULL. A model must
 * match one of the role's patterns and, when the cost centre restricts
 * models, one of the cost centre's patterns too. */
const char *ora_policy_model_allowed(const struct ora_rule *rule,
    const struct ora_cost_centre *cc, const char *model);

/* Writes the allowed patterns as "a, b, c" (with the cost centre's
 * restriction appended as "; in cost centre X: d, e") into buf. */
void ora_policy_describe_models(const struct ora_rule *rule,
    const struct ora_cost_centre *cc, char *buf, size_t size);

/* How rule matches, as shown to people and kept in the ledger:
 * "user alice", "group research" or "everyone". Returns buf. */
const char *ora_policy_rule_match(const struct ora_rule *rule, char *buf, size_t size);

#endif
