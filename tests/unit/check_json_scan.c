/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_json_scan.c: json_scan hands out each top-level member or element
 * exactly as it stands, and refuses what json-c would refuse.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "common/json_scan.h"

struct seen {
	char text[1024];
	int stop_at;
	int n;
};

static int
on_member(void *arg, const char *key, size_t key_len, const char *value, size_t value_len)
{
	struct seen *s = arg;
	size_t used = strlen(s->text);

	snprintf(s->text + used, sizeof(s->text) - used, "%.*s=%.*s;", (int)key_len, key,
	    (int)value_len, value);
	return ++s->n == s->stop_at ? 7 : 0;
}

static int
on_element(void *arg, size_t index, const char *value, size_t value_len)
{
	struct seen *s = arg;
	size_t used = strlen(s->text);

	snprintf(s->text + used, sizeof(s->text) - used, "%zu:%.*s;", index, (int)value_len, value);
	return 0;
}

static int
object(const char *text, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	return json_scan_object(text, strlen(text), on_member, s);
}

START_TEST(members_of_an_answer)
{
	struct seen s;
	const char *answer =
	    " {\"id\":\"gen-1\",\"choices\":[{\"message\":{\"content\":\"a \\\"usage\\\": {}\"}}],"
	    "\"usage\" : "
	    "{\"prompt_tokens\":11,\"cost\":0.00001185},\"x\":[true,false,null,-1.5e+3]}\n";

	ck_assert_int_eq(object(answer, &s), 0);
	ck_assert_str_eq(s.text, "id=\"gen-1\";"
	                         "choices=[{\"message\":{\"content\":\"a \\\"usage\\\": {}\"}}];"
	                         "usage={\"prompt_tokens\":11,\"cost\":0.00001185};"
	                         "x=[true,false,null,-1.5e+3];");
	ck_assert_int_eq(object("{}", &s), 0);
	ck_assert_str_eq(s.text, "");
}
END_TEST

START_TEST(elements_of_an_array)
{
	const char *a = "[ {\"a\":1} , \"\\u00e9\", 0, [] ]";
	struct seen s;

	memset(&s, 0, sizeof(s));

	ck_assert_int_eq(json_scan_array(a, strlen(a), on_element, &s), 0);
	ck_assert_str_eq(s.text, "0:{\"a\":1};1:\"\\u00e9\";2:0;3:[];");
}
END_TEST

START_TEST(stops_when_asked)
{
	struct seen s;

	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	ck_assert_int_eq(json_scan_object("{\"a\":1,\"b\":2}", 13, on_member, &s), 7);
	ck_assert_str_eq(s.text, "a=1;");
}
END_TEST

START_TEST(malformed_refused)
{
	static const char *const bad[] = {
	    "",
	    "[]",
	    "{",
	    "{\"a\"}",
	    "{\"a\":}",
	    "{\"a\":1,}",
	    "{\"a\":1}x",
	    "{\"a\":01}",
	    "{\"a\":1.}",
	    "{\"a\":-}",
	    "{\"a\":tru}",
	    "{\"a\":\"x\ny\"}",
	    "{\"a\":\"\\q\"}",
	    "{\"a\":\"\\u12g4\"}",
	    "{\"a\":\"open}",
	    "{a:1}",
	    "{\"a\":[1,2}",
	    "{\"a\":1 \"b\":2}",
	};
	struct seen s;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(object(bad[i], &s) == -1, "accepted %s", bad[i]);
}
END_TEST

START_TEST(depth_bounded)
{
	char deep[2 * JSON_SCAN_MAX_DEPTH + 16];
	struct seen s;
	size_t n = 0;

	deep[n++] = '{';
	memcpy(deep + n, "\"a\":", 4);
	n += 4;
	for (int i = 0; i < JSON_SCAN_MAX_DEPTH; i++)
		deep[n++] = '[';
	for (int i = 0; i < JSON_SCAN_MAX_DEPTH; i++)
		deep[n++] = ']';
	deep[n++] = '}';
	deep[n] = '\0';
	ck_assert_int_eq(object(deep, &s), -1);
}
END_TEST

START_TEST(nonempty_string)
{
	ck_assert(json_scan_nonempty_string("\"a\"", 3));
	ck_assert(!json_scan_nonempty_string("\"\"", 2));
	ck_assert(!json_scan_nonempty_string("null", 4));
	ck_assert(!json_scan_nonempty_string("12", 2));
}
END_TEST

/* A walk that goes into every object and array it meets, so that the
 * text it records shows what each level heard, and in what order. */
static const struct json_scan_walk *enter_all(
    void *arg, const char *key, size_t key_len, size_t index, const char *value);
static const struct json_scan_walk walk_all = { on_member, on_element, enter_all };

static const struct json_scan_walk *
enter_all(void *arg, const char *key, size_t key_len, size_t index, const char *value)
{
	struct seen *s = arg;
	size_t used = strlen(s->text);

	snprintf(s->text + used, sizeof(s->text) - used, "<%.*s#%zu%c", key != NULL ? (int)key_len : 1,
	    key != NULL ? key : "-", index, value[0]);
	return &walk_all;
}

START_TEST(walk_goes_in_once)
{
	const char *text = "{\"a\":1,\"b\":{\"c\":[2,{\"d\":\"x\"}]},\"e\":[]}";
	struct seen s;

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(json_scan_object_walk(text, strlen(text), &walk_all, &s), 0);
	/* Each container is entered before its members are heard, and still
	 * handed whole to its parent's callback after. */
	ck_assert_str_eq(s.text, "a=1;<b#1{<c#0[0:2;<-#1{d=\"x\";1:{\"d\":\"x\"};"
	                         "c=[2,{\"d\":\"x\"}];b={\"c\":[2,{\"d\":\"x\"}]};<e#2[e=[];");

	/* A stop from deep inside ends the whole walk with its value. */
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	ck_assert_int_eq(json_scan_object_walk(text, strlen(text), &walk_all, &s), 7);
	ck_assert_str_eq(s.text, "a=1;<b#1{<c#0[0:2;<-#1{d=\"x\";");

	/* A fault inside an entered value fails the walk. */
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(json_scan_object_walk("{\"b\":{\"c\":[1,]}}", 17, &walk_all, &s), -1);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(json_scan_object_walk("[1]", 3, &walk_all, &s), -1);
}
END_TEST

START_TEST(walk_depth_bounded)
{
	char deep[2 * JSON_SCAN_MAX_DEPTH + 16];
	struct seen s;
	size_t n = 0;

	deep[n++] = '{';
	memcpy(deep + n, "\"a\":", 4);
	n += 4;
	for (int i = 0; i < JSON_SCAN_MAX_DEPTH; i++)
		deep[n++] = '[';
	for (int i = 0; i < JSON_SCAN_MAX_DEPTH; i++)
		deep[n++] = ']';
	deep[n++] = '}';
	deep[n] = '\0';
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(json_scan_object_walk(deep, n, &walk_all, &s), -1);
	/* One level less is within the bound, entered or skipped. */
	memmove(deep + 5, deep + 6, n - 6);
	memmove(deep + 5 + JSON_SCAN_MAX_DEPTH - 1, deep + 5 + JSON_SCAN_MAX_DEPTH, n - 6 - JSON_SCAN_MAX_DEPTH);
	n -= 2;
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(json_scan_object_walk(deep, n, &walk_all, &s), 0);
	ck_assert_int_eq(json_scan_object(deep, n, on_member, &s), 0);
}
END_TEST

Suite *suite(void); /* run by check_main.c */

Suite *
suite(void)
{
	Suite *s = suite_create("json_scan");
	TCase *tc = tcase_create("scan");

	tcase_add_test(tc, members_of_an_answer);
	tcase_add_test(tc, elements_of_an_array);
	tcase_add_test(tc, stops_when_asked);
	tcase_add_test(tc, malformed_refused);
	tcase_add_test(tc, depth_bounded);
	tcase_add_test(tc, nonempty_string);
	tcase_add_test(tc, walk_goes_in_once);
	tcase_add_test(tc, walk_depth_bounded);
	suite_add_tcase(s, tc);
	return s;
}
