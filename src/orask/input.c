/*
 * input.c: gather the question from the arguments and standard input.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "orask/orask.h"

static int
too_large(void)
{
	orask_warn("the input is larger than %u MiB; nothing was sent (split it, or send "
	           "only the part that matters)",
	    ORASK_MAX_INPUT >> 20);
	return ORASK_EXIT_TOO_LARGE;
}

/* Read all of standard input, but never more than the limit plus one byte:
 * enough to know it was too much without holding all of it. */
static int
read_stdin(char **out, size_t *out_len)
{
	size_t len = 0, cap = 64 * 1024;
	char *buf = ora_xmalloc(cap + 1);
	ssize_t n;

	for (;;) {
		if (len == cap) {
			if (cap > ORASK_MAX_INPUT)
				break;
			cap *= 2;
			buf = ora_xrealloc(buf, cap + 1);
		}
		n = read(STDIN_FILENO, buf + len, cap - len);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR && !orask_interrupted)
				continue;
			if (errno == EBADF && len == 0)
				break; /* standard input closed (<&-): no material */
			free(buf);
			if (orask_interrupted)
				return ORASK_EXIT_SIGNAL_BASE + orask_interrupted;
			orask_warn("cannot read standard input: %s", strerror(errno));
			return ORASK_EXIT_FAIL;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (len > ORASK_MAX_INPUT) {
		free(buf);
		return too_large();
	}
	/* The question travels as a C string: a NUL would silently cut it. */
	if (memchr(buf, '\0', len) != NULL) {
		free(buf);
		orask_warn("standard input contains NUL bytes (binary data?); nothing was sent");
		return ORASK_EXIT_USAGE;
	}
	*out = buf;
	*out_len = len;
	return 0;
}

/* The model is sent JSON, which holds only UTF-8: text in another
 * encoding would be mangled on the way or refused upstream (and billed as
 * an upstream error), so it is refused here, where it can be fixed. */
static int
check_utf8(const char *what, const char *s, size_t len)
{
	long at = orask_utf8_invalid_at(s, len);

	if (at < 0)
		return 0;
	orask_warn("%s is not valid UTF-8 at byte %ld; nothing was sent (convert it, e.g. "
	           "iconv -f LATIN1 -t UTF-8)",
	    what, at);
	return ORASK_EXIT_USAGE;
}

static int
blank(const char *s)
{
	return s[strspn(s, " \t\r\n")] == '\0';
}

int
orask_read_question(int argc, char **argv, char **out)
{
	char *material = NULL, *q;
	size_t len = 0, material_len = 0;
	int i, r;

	*out = NULL;
	if (!isatty(STDIN_FILENO) && (r = read_stdin(&material, &material_len)) != 0)
		return r;
	if (material != NULL && (r = check_utf8("standard input", material, material_len)) != 0) {
		free(material);
		return r;
	}
	for (i = 0; i < argc; i++) {
		char what[64];

		snprintf(what, sizeof(what), "word %d of the question", i + 1);
		if ((r = check_utf8(what, argv[i], strlen(argv[i]))) != 0) {
			free(material);
			return r;
		}
		len += strlen(argv[i]) + 1;
	}
	if (len + material_len > ORASK_MAX_INPUT) {
		free(material);
		return too_large();
	}
	q = ora_xmalloc(len + material_len + 3);
	q[0] = '\0';
	for (i = 0; i < argc; i++) {
		if (i > 0)
			strcat(q, " ");
		strcat(q, argv[i]);
	}
	if (material != NULL && !blank(material)) {
		if (q[0] != '\0')
			strcat(q, "\n\n");
		strcat(q, material);
	}
	free(material);
	if (blank(q)) {
		free(q);
		orask_warn("nothing to ask: give a question as an argument or on standard input");
		return ORASK_EXIT_USAGE;
	}
	*out = q;
	return 0;
}
