/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_admit.h: shared by the admission tests: a fixed policy
 * (tests/unit/data/conf/admit.conf) and catalog, and a way to admit one
 * body as alice or bob in a cost centre.
 */
#ifndef CHECK_ADMIT_H
#define CHECK_ADMIT_H

#include <check.h>
#include <json-c/json.h>

#include "admit/admit.h"

void admit_fixture_setup(void);
void admit_fixture_teardown(void);

/* Admit body as user ("alice": role staff, "bob": research) billed to
 * centre ("dev" or "prod"); returns admit_request's result. */
int try_admit(const char *user, const char *centre, const char *body, struct admit_decision *d);
int try_admit_len(const char *user, const char *centre, const char *body, size_t len,
    struct admit_decision *d);
/* The same through another wire shape (admit_shape_messages, ...). */
int try_admit_shape(const struct admit_shape *shape, const char *user, const char *centre,
    const char *body, size_t len, struct admit_decision *d);

/* The body that would go upstream, parsed (new reference). */
struct json_object *sent(const struct admit_decision *d);

/* Value at a dotted path ("provider.zdr") of o, or NULL. */
struct json_object *at(struct json_object *o, const char *path);

void admit_policy_cases(Suite *s);
void admit_shapes_cases(Suite *s); /* check_admit_shapes.c */

#endif
