/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * check_conf_util.c: the helpers of check_conf.h.
 */
#include "config.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/conf.h"
#include "check_conf.h"

/*
 * libconfig before 1.7.3 leaks the string token it was reading when a syntax
 * error stops the parser (hyperrealm/libconfig#142, fixed upstream by #155):
 * a few bytes per refused file, in libconfig, not here. Tell LeakSanitizer
 * (in --enable-sanitizers builds) so the syntax-error test can still run.
 */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:strbuf_append\n";
}

char conf_tmpdir[256];
char conf_tmpconf[300];

void
conf_setup_tmp(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(
	    conf_tmpdir, sizeof(conf_tmpdir), "%s/check_conf.XXXXXX", base != NULL ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(conf_tmpdir));
	snprintf(conf_tmpconf, sizeof(conf_tmpconf), "%s/ora.conf", conf_tmpdir);
}

void
conf_teardown_tmp(void)
{
	unlink(conf_tmpconf);
	rmdir(conf_tmpdir);
}

char *
conf_data_path(const char *name)
{
	const char *top = getenv("top_srcdir");
	static char path[1024];

	snprintf(path, sizeof(path), "%s/tests/unit/data/conf/%s", top != NULL ? top : ".", name);
	return path;
}

int
conf_load_text(const char *text, struct ora_conf **conf, struct ora_diag *d)
{
	FILE *f = fopen(conf_tmpconf, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return ora_conf_load(conf_tmpconf, conf, d);
}

char *
conf_joined(char **msgs, size_t n)
{
	static char buf[8192];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && len < sizeof(buf) - 1; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "\n  %s", msgs[i]);
	return n == 0 ? "(none)" : buf;
}

int
conf_find_msg(char **msgs, size_t n, const char *file, int line, ...)
{
	char prefix[1100];

	if (line > 0)
		snprintf(prefix, sizeof(prefix), "%s:%d: ", file, line);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", file);
	for (size_t i = 0; i < n; i++) {
		const char *needle;
		int all = strncmp(msgs[i], prefix, strlen(prefix)) == 0;
		va_list ap;

		va_start(ap, line);
		while (all && (needle = va_arg(ap, const char *)) != NULL)
			all = strstr(msgs[i], needle) != NULL;
		va_end(ap);
		if (all)
			return (int)i;
	}
	return -1;
}
