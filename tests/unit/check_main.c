/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_main.c: the one main() of the Check programs that define a single
 * suite(): run it, and exit non-zero if any test failed.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>

Suite *suite(void);

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
