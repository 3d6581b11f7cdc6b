/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * command.c: which command the words after the options name, if any.
 *
 * A question costs money, so a word that looks like a command must never
 * become one by accident: the command words are reserved (a command with
 * arguments it does not take is a usage error, not a question), and a first
 * word one edit away from a command word is asked about rather than sent.
 * A pure function of the words, so it is unit-tested without a broker.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "orask/command.h"
#include "orask/history.h"

#define LOG_LIMIT 1000000UL /* the most exchanges `orask log N` lists */

struct command_def {
	enum orask_cmd cmd;
	const char *name;
	const char *synopsis; /* its arguments, for messages */
	int min_args, max_args;
};

static const struct command_def commands[] = {
    {ORASK_CMD_MODELS, "models", "models", 0, 0},
    {ORASK_CMD_ME, "me", "me", 0, 0},
    {ORASK_CMD_USAGE, "usage", "usage", 0, 0},
    {ORASK_CMD_LOG, "log", "log [N] [-q TEXT] [--cid ID]", 0, 1},
    {ORASK_CMD_SHOW, "show", "show ID", 1, 1},
    {ORASK_CMD_RM, "rm", "rm ID", 1, 1},
    {ORASK_CMD_TEMPLATES, "templates", "templates", 0, 0},
    {ORASK_CMD_CHAT, "chat", "chat", 0, 0},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

const char *
orask_command_name(enum orask_cmd cmd)
{
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		if (commands[i].cmd == cmd)
			return commands[i].name;
	return "question";
}

/* Whether a and b are at most one edit apart (insertion, deletion,
 * substitution or a swap of neighbours), ignoring case. */
int
orask_command_near(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i = 0;

	if (la > lb + 1 || lb > la + 1)
		return 0;
	while (i < la && i < lb && tolower((unsigned char)a[i]) == tolower((unsigned char)b[i]))
		i++;
	if (i == la && i == lb)
		return 1;
	if (la == lb) {
		/* substitution, or two neighbours swapped */
		if (strcasecmp(a + i + 1, b + i + 1) == 0)
			return 1;
		return i + 1 < la &&
		       tolower((unsigned char)a[i]) == tolower((unsigned char)b[i + 1]) &&
		       tolower((unsigned char)a[i + 1]) == tolower((unsigned char)b[i]) &&
		       strcasecmp(a + i + 2, b + i + 2) == 0;
	}
	return la > lb ? strcasecmp(a + i + 1, b + i) == 0 : strcasecmp(a + i, b + i + 1) == 0;
}

/* Append word to buf as the shell would need it typed. */
static void
append_quoted(char *buf, size_t size, const char *word)
{
	size_t len = strlen(buf);
	const char *p;

	if (*word != '\0' && strspn(word, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                                  "0123456789-_.,/:=+@%") == strlen(word)) {
		snprintf(buf + len, size - len, "%s", word);
		return;
	}
	snprintf(buf + len, size - len, "'");
	for (p = word; *p != '\0'; p++) {
		len = strlen(buf);
		snprintf(buf + len, size - len, *p == '\'' ? "'\\''" : "%c", *p);
	}
	len = strlen(buf);
	snprintf(buf + len, size - len, "'");
}

static void
as_question(char *buf, size_t size, int n, char **words)
{
	int i;

	snprintf(buf, size, "orask --");
	for (i = 0; i < n; i++) {
		size_t len = strlen(buf);

		snprintf(buf + len, size - len, " ");
		append_quoted(buf, size, words[i]);
	}
}

static int say(char *msg, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
say(char *msg, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, size, fmt, ap);
	va_end(ap);
	return -1;
}

/* The arguments of def, into out; -1 with a message when they do not fit. */
static int
take_args(const struct command_def *def, int n, char **args, struct orask_command *out)
{
	if (n < def->min_args || n > def->max_args)
		return -1;
	if (def->cmd == ORASK_CMD_LOG && n == 1) {
		if (ora_parse_ulong(args[0], LOG_LIMIT, &out->count) != 0 || out->count == 0)
			return -1;
		out->has_count = 1;
	}
	if ((def->cmd == ORASK_CMD_SHOW || def->cmd == ORASK_CMD_RM) &&
	    !orask_history_valid_id(args[0]))
		return -1;
	if (def->cmd == ORASK_CMD_SHOW || def->cmd == ORASK_CMD_RM)
		out->id = args[0];
	return 0;
}

int
orask_command_parse(int n, char **words, int dashdash, int check_near, struct orask_command *out,
    char *msg, size_t size)
{
	char ask[1024];
	struct orask_command probe;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->cmd = ORASK_CMD_NONE;
	if (n < 1 || dashdash)
		return 0;
	as_question(ask, sizeof(ask), n, words);
	for (i = 0; i < N_COMMANDS; i++) {
		if (strcmp(words[0], commands[i].name) != 0)
			continue;
		out->cmd = commands[i].cmd;
		if (take_args(&commands[i], n - 1, words + 1, out) == 0)
			return 0;
		return say(msg, size,
		    "'%s' is a command: orask %s; to ask this as a question, write: %s",
		    commands[i].name, commands[i].synopsis, ask);
	}
	if (!check_near)
		return 0;
	/* One edit from a command word, and the rest would be its
	 * arguments: almost certainly a typing mistake, not a question. */
	for (i = 0; i < N_COMMANDS; i++) {
		memset(&probe, 0, sizeof(probe));
		if (!orask_command_near(words[0], commands[i].name) ||
		    take_args(&commands[i], n - 1, words + 1, &probe) != 0)
			continue;
		/* "how are" is English, "shw 227cf540" a slip: an id that
		 * could be a word does not make a near miss. */
		if (probe.id != NULL && strpbrk(probe.id, "0123456789-_.") == NULL)
			continue;
		return say(msg, size,
		    "'%s' is not a command; did you mean 'orask %s'? To ask it as a question, "
		    "write: %s",
		    words[0], commands[i].name, ask);
	}
	return 0;
}
