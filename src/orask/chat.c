/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * chat.c: `orask chat` (and a bare `orask` on a terminal): a conversation
 * at a prompt, with line editing and history from libedit.
 *
 * Each line is a question in one conversation, saved like any other (it
 * can be continued later with --cid, listed, shown, removed). Lines ending
 * with a backslash go on; a line of three double quotes starts and ends a
 * block of many lines. Ctrl-C stops the answer being written and returns
 * to the prompt; at the prompt it clears the line. Ctrl-D leaves.
 *
 * libedit (BSD licence, Debian's libedit-dev) rather than GNU readline,
 * whose GPL would bind the whole program. It is loaded with dlopen() when
 * a chat starts: linked in, it and the libraries it needs (tinfo, bsd, md)
 * cost every plain question about 0.3 ms of start-up, a tenth of its
 * budget, for a feature it never uses.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <editline/readline.h>

#include "common/util.h"
#include "orask/orask.h"

#define CHAT_PROMPT "orask> "
#define CHAT_MORE "  ...> "
#define CHAT_HISTORY_FILE "chat_history"
#define CHAT_HISTORY_LINES 1000 /* lines of typed input kept between sessions */
#define BLOCK_MARK "\"\"\""
#define LIBEDIT_SONAME "libedit.so.2"

/* The part of libedit's readline interface orask uses, found at run time. */
static struct {
	char *(*readline)(const char *);
	int (*add_history)(const char *);
	int (*read_history)(const char *);
	int (*write_history)(const char *);
	void (*stifle_history)(int);
	const char **readline_name;
} ed;

static int
load_libedit(void)
{
	void *lib = dlopen(LIBEDIT_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (lib == NULL)
		return -1;
	*(void **)&ed.readline = dlsym(lib, "readline");
	*(void **)&ed.add_history = dlsym(lib, "add_history");
	*(void **)&ed.read_history = dlsym(lib, "read_history");
	*(void **)&ed.write_history = dlsym(lib, "write_history");
	*(void **)&ed.stifle_history = dlsym(lib, "stifle_history");
	ed.readline_name = dlsym(lib, "rl_readline_name");
	/* Never closed: the process ends with the chat. */
	return ed.readline != NULL && ed.add_history != NULL && ed.read_history != NULL &&
	               ed.write_history != NULL && ed.stifle_history != NULL
	           ? 0
	           : -1;
}

struct chat {
	struct ora_client *c;
	struct orask_options *o;
	struct orask_memory *mem;
	char *model, *system; /* set with /model and /system; owned */
	char *history_path;   /* typed lines, private; NULL: none */
};

static void
chat_help(void)
{
	printf("Type a question and press Enter. A line ending with \\ goes on; a line of\n"
	       "\"\"\" starts and ends a block of many lines.\n"
	       "  /model [SLUG]   show or change the model\n"
	       "  /system [TEXT]  show or change the system prompt (/system - removes it)\n"
	       "  /usage          tokens and cost so far, and your budgets\n"
	       "  /exit           leave (or Ctrl-D); Ctrl-C stops an answer\n");
}

/* Read one line; NULL at the end (Ctrl-D). Ctrl-C at the prompt gives an
 * empty line, not the end. */
static char *
read_line(const char *prompt)
{
	char *line;

	for (;;) {
		orask_interrupted = 0;
		line = ed.readline(prompt);
		if (line != NULL || !orask_interrupted)
			return line;
		putchar('\n');
	}
}

static void
append(char **buf, const char *s, int newline)
{
	char *n = ora_xasprintf("%s%s%s", *buf != NULL ? *buf : "", newline ? "\n" : "", s);

	free(*buf);
	*buf = n;
}

/* The next input: a line, lines continued with \, or a """ block. NULL
 * at the end. */
static char *
read_input(void)
{
	char *line, *text = NULL;
	int block = 0, first = 1, more;
	size_t len;

	while ((line = read_line(text == NULL ? CHAT_PROMPT : CHAT_MORE)) != NULL) {
		if (text == NULL && strcmp(line, BLOCK_MARK) == 0) {
			block = 1;
			text = ora_xstrdup("");
			free(line);
			continue;
		}
		if (block && strcmp(line, BLOCK_MARK) == 0) {
			free(line);
			return text;
		}
		len = strlen(line);
		if ((more = !block && len > 0 && line[len - 1] == '\\'))
			line[len - 1] = '\0';
		append(&text, line, !first);
		first = 0;
		free(line);
		if (!block && !more)
			return text;
	}
	return text; /* Ctrl-D inside a block or after a \ sends what there is */
}

static void
set_setting(char **slot, const char **option, const char *value, const char *what)
{
	free(*slot);
	*slot = NULL;
	if (value != NULL && strcmp(value, "-") != 0)
		*slot = ora_xstrdup(value);
	*option = *slot;
	printf("%s %s\n", what, *slot != NULL ? *slot : "removed");
}

static void
show_usage(struct chat *ch)
{
	char cost[64];

	orask_format_dollars(cost, sizeof(cost), ch->mem->tally.has_cost, ch->mem->tally.cost);
	printf("conversation %s: %ld exchange%s, %ld prompt + %ld completion tokens, cost %s\n",
	    ch->mem->conv != NULL ? ch->mem->conv->id : "-", ch->mem->tally.exchanges,
	    ch->mem->tally.exchanges == 1 ? "" : "s", ch->mem->tally.prompt_tokens,
	    ch->mem->tally.completion_tokens, cost);
	fflush(stdout);
	orask_print_budgets(ch->c);
}

/* A line starting with '/': 1 to go on, 0 to leave. */
static int
slash_command(struct chat *ch, char *line)
{
	char *arg = line + strcspn(line, " \t");
	const char *model, *system;

	if (*arg != '\0')
		*arg++ = '\0';
	arg += strspn(arg, " \t");
	if (strcmp(line, "/exit") == 0 || strcmp(line, "/quit") == 0)
		return 0;
	if (strcmp(line, "/model") == 0) {
		if (*arg != '\0')
			set_setting(&ch->model, &ch->o->model, arg, "model");
		else {
			model = ch->o->model != NULL ? ch->o->model
			        : ch->mem->conv != NULL && ch->mem->conv->model != NULL
			            ? ch->mem->conv->model
			            : ch->o->default_model;
			printf("model %s\n", model != NULL ? model : "(your role's default)");
		}
	} else if (strcmp(line, "/system") == 0) {
		if (*arg != '\0')
			set_setting(&ch->system, &ch->o->system, arg, "system prompt");
		else {
			system = ch->o->system != NULL ? ch->o->system
			         : ch->mem->conv != NULL && ch->mem->conv->system != NULL
			             ? ch->mem->conv->system
			             : ch->o->default_system;
			printf("system prompt %s\n", system != NULL ? system : "(none)");
		}
	} else if (strcmp(line, "/usage") == 0) {
		show_usage(ch);
	} else if (strcmp(line, "/help") == 0) {
		chat_help();
	} else {
		printf("unknown command %s; /help lists them (to ask a line starting with /, "
		       "start it with a space)\n",
		    line);
	}
	fflush(stdout);
	return 1;
}

static void
history_load(struct chat *ch)
{
	if (ch->mem->dir == NULL)
		return;
	ch->history_path = ora_xasprintf("%s/%s", ch->mem->dir, CHAT_HISTORY_FILE);
	ed.stifle_history(CHAT_HISTORY_LINES);
	(void)ed.read_history(ch->history_path);
}

static void
history_save(struct chat *ch)
{
	mode_t old;

	if (ch->history_path == NULL)
		return;
	/* What was typed is as private as the conversations. */
	old = umask(077);
	if (ed.write_history(ch->history_path) == 0)
		(void)chmod(ch->history_path, 0600);
	umask(old);
}

int
orask_chat(struct ora_client *c, struct orask_options *o, struct orask_memory *mem)
{
	struct chat ch = {.c = c, .o = o, .mem = mem};
	char *input;

	if (load_libedit() != 0) {
		orask_warn(
		    "orask chat needs libedit (%s): install the libedit2 package", LIBEDIT_SONAME);
		return ORASK_EXIT_FAIL;
	}
	if (ed.readline_name != NULL)
		*ed.readline_name = "orask";
	history_load(&ch);
	printf("orask chat: conversation %s. /help for commands, Ctrl-D to leave.\n",
	    mem->conv != NULL ? mem->conv->id : "(not saved)");
	fflush(stdout);
	while ((input = read_input()) != NULL) {
		if (input[strspn(input, " \t\n")] == '\0') {
			free(input);
			continue;
		}
		ed.add_history(input);
		if (input[0] == '/') {
			int go_on = slash_command(&ch, input);

			free(input);
			if (!go_on)
				break;
			continue;
		}
		if (orask_utf8_invalid_at(input, strlen(input)) >= 0)
			orask_warn("that line is not valid UTF-8; nothing was sent");
		else
			(void)orask_ask(c, o, input, mem);
		/* Ctrl-C stopped that answer, not the chat. */
		orask_interrupted = 0;
		free(input);
	}
	if (input == NULL)
		putchar('\n');
	history_save(&ch);
	o->model = NULL;
	o->system = NULL;
	free(ch.model);
	free(ch.system);
	free(ch.history_path);
	return ORASK_EXIT_OK;
}
