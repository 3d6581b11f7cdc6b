/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * input.c: gather the question from the arguments, standard input and the
 * files of -f.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
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

/* Read all of fd (name for messages), but never more than the limit plus
 * one byte: enough to know it was too much without holding all of it. */
static int
read_all(int fd, const char *name, char **out, size_t *out_len)
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
		n = read(fd, buf + len, cap - len);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR && !orask_interrupted)
				continue;
			if (errno == EBADF && len == 0 && fd == STDIN_FILENO)
				break; /* standard input closed (<&-): no material */
			free(buf);
			if (orask_interrupted)
				return ORASK_EXIT_SIGNAL_BASE + orask_interrupted;
			orask_warn("cannot read %s: %s", name, strerror(errno));
			return ORASK_EXIT_FAIL;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (len > ORASK_MAX_INPUT) {
		free(buf);
		return too_large();
	}
	*out = buf;
	*out_len = len;
	return 0;
}

/* The model is sent JSON, which holds only UTF-8 text: a NUL would cut
 * the question, and text in another encoding would be mangled on the way
 * or refused upstream (and billed as an upstream error), so both are
 * refused here, where they can be fixed. */
static int
check_text(const char *what, const char *s, size_t len, int file)
{
	const char *nul = memchr(s, '\0', len);
	long at;

	if (nul != NULL) {
		orask_warn("%s is binary (a NUL byte at offset %ld); orask sends text only, and "
		           "nothing was sent",
		    what, (long)(nul - s));
		return ORASK_EXIT_USAGE;
	}
	if ((at = orask_utf8_invalid_at(s, len)) < 0)
		return 0;
	if (file)
		orask_warn("%s is not UTF-8 text (at byte %ld); orask sends text only, and nothing "
		           "was sent (convert it, e.g. iconv -f LATIN1 -t UTF-8)",
		    what, at);
	else
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

struct text {
	char *p;
	size_t len, cap;
};

static int
add(struct text *t, const char *s, size_t n)
{
	if (t->len + n > ORASK_MAX_INPUT)
		return too_large();
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->p = ora_xrealloc(t->p, t->cap);
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
	return 0;
}

static int
add_str(struct text *t, const char *s)
{
	return add(t, s, strlen(s));
}

/* A part after the instruction: separated from what comes before by a
 * blank line. */
static int
add_part(struct text *t, const char *s, size_t n)
{
	int r;

	if (t->len > 0 && (r = add_str(t, "\n\n")) != 0)
		return r;
	return add(t, s, n);
}

/* File name (or "-", standard input) as a labelled part:
 *   <file name="notes.txt">
 *   ...
 *   </file>
 * the form models are taught to read attachments in. */
static int
add_file(struct text *t, const char *name)
{
	const char *label = strcmp(name, "-") == 0 ? "standard input" : name, *p;
	char *content = NULL;
	size_t len = 0;
	int fd, r;

	if (strcmp(name, "-") == 0) {
		fd = STDIN_FILENO;
	} else if ((fd = open(name, O_RDONLY | O_CLOEXEC)) < 0) {
		orask_warn("cannot read %s: %s; nothing was sent", name, strerror(errno));
		return errno == ENOENT || errno == EACCES || errno == EISDIR ? ORASK_EXIT_USAGE
		                                                             : ORASK_EXIT_FAIL;
	}
	r = read_all(fd, label, &content, &len);
	if (fd != STDIN_FILENO)
		close(fd);
	if (r == 0)
		r = check_text(label, content, len, 1);
	if (r == 0)
		r = add_part(t, "<file name=\"", strlen("<file name=\""));
	for (p = label; r == 0 && *p != '\0'; p++)
		r = *p == '"' ? add_str(t, "&quot;") : add(t, p, 1);
	if (r == 0)
		r = add_str(t, "\">\n");
	if (r == 0)
		r = add(t, content, len);
	if (r == 0 && len > 0 && content[len - 1] != '\n')
		r = add_str(t, "\n");
	if (r == 0)
		r = add_str(t, "</file>");
	free(content);
	return r;
}

static int
uses_stdin(char *const *files, size_t n_files)
{
	size_t i;

	for (i = 0; i < n_files; i++)
		if (strcmp(files[i], "-") == 0)
			return 1;
	return 0;
}

int
orask_read_question(int argc, char **argv, char *const *files, size_t n_files, char **out)
{
	struct text t = {0};
	char *material = NULL, what[64];
	size_t material_len = 0, i;
	int r = 0, k;

	*out = NULL;
	for (k = 0; k < argc && r == 0; k++) {
		snprintf(what, sizeof(what), "word %d of the question", k + 1);
		if ((r = check_text(what, argv[k], strlen(argv[k]), 0)) == 0 && k > 0)
			r = add_str(&t, " ");
		if (r == 0)
			r = add_str(&t, argv[k]);
	}
	/* Standard input is the material unless -f - names it as a file. */
	if (r == 0 && !isatty(STDIN_FILENO) && !uses_stdin(files, n_files) &&
	    (r = read_all(STDIN_FILENO, "standard input", &material, &material_len)) == 0 &&
	    (r = check_text("standard input", material, material_len, 0)) == 0 && !blank(material))
		r = add_part(&t, material, material_len);
	free(material);
	for (i = 0; i < n_files && r == 0; i++)
		r = add_file(&t, files[i]);
	if (r == 0 && (t.p == NULL || blank(t.p))) {
		orask_warn("nothing to ask: give a question as an argument, on standard input or "
		           "with -f");
		r = ORASK_EXIT_USAGE;
	}
	if (r != 0) {
		free(t.p);
		return r;
	}
	*out = t.p;
	return 0;
}
