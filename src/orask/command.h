/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * command.h: the command words of orask (models, me, usage, log, show,
 * rm, templates, chat) and how the words after the options are told apart from a question.
 */
#ifndef ORA_ORASK_COMMAND_H
#define ORA_ORASK_COMMAND_H

#include <stddef.h>

enum orask_cmd {
	ORASK_CMD_NONE = 0, /* a question */
	ORASK_CMD_MODELS,
	ORASK_CMD_ME,
	ORASK_CMD_USAGE,
	ORASK_CMD_LOG,
	ORASK_CMD_SHOW,
	ORASK_CMD_RM,
	ORASK_CMD_TEMPLATES,
	ORASK_CMD_CHAT,
};

struct orask_command {
	enum orask_cmd cmd;
	const char *id;      /* show, rm: the conversation (points into words) */
	unsigned long count; /* log N */
	int has_count;
};

/* What the n words after the options ask for. dashdash: a "--" ended the
 * options (the words are a question, whatever they say). check_near:
 * whether a first word one edit away from a command word is a usage error
 * (standard input is a terminal: a person typing). Returns 0 with *out set
 * (ORASK_CMD_NONE for a question), or -1 with a sentence in msg saying
 * what was wrong and how to ask the words as a question instead. */
int orask_command_parse(int n, char **words, int dashdash, int check_near,
    struct orask_command *out, char *msg, size_t size);

/* The word of cmd ("log"); "question" for ORASK_CMD_NONE. */
const char *orask_command_name(enum orask_cmd cmd);

/* Whether a and b are at most one edit apart, ignoring case. */
int orask_command_near(const char *a, const char *b);

#endif
