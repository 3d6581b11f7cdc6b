/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * orask.h: what the parts of orask share.
 *
 * orask.c parses the command line and maps results to exit codes;
 * command.c tells commands from questions; input.c gathers the question;
 * ask.c asks it; memory.c and history*.c keep conversations; info.c answers
 * `orask models`, `orask me` and `orask usage`; conversations.c `orask
 * log`, `orask show` and `orask rm`; costs.c the cost of an exchange cut
 * short, learned later.
 */
#ifndef ORA_ORASK_H
#define ORA_ORASK_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include "ora/client.h"
#include "orask/command.h"
#include "orask/history.h"
#include "orask/settings.h"

/* Exit codes, documented in orask(1): scripts depend on them. */
enum {
	ORASK_EXIT_OK = 0,
	ORASK_EXIT_FAIL = 1,
	ORASK_EXIT_USAGE = 2,
	ORASK_EXIT_UNREACHABLE = 3,
	ORASK_EXIT_DENIED = 4, /* not permitted, or model or cost centre not allowed */
	ORASK_EXIT_BUDGET = 5,
	ORASK_EXIT_RATE_LIMITED = 6,
	ORASK_EXIT_UPSTREAM = 7,
	ORASK_EXIT_TOO_LARGE = 8,
	ORASK_EXIT_SIGNAL_BASE = 128, /* + the signal: 130 for Ctrl-C */
};

/* The most input orask sends: the broker's default body limit. More is
 * refused before anything is sent, rather than cut. */
#define ORASK_MAX_INPUT (4u * 1024 * 1024)
#define ORASK_MAX_FILES 100 /* -f given more often is a mistake */

struct orask_options {
	const char *model;                          /* -m, or the template's */
	const char *system;                         /* -s, or the template's */
	const char *default_model, *default_system; /* orask.conf: when nothing else says */
	const char *template_name;                  /* -T */
	char *files[ORASK_MAX_FILES];               /* -f, in order; "-" is standard input */
	size_t n_files;
	const char *cost_centre;
	const char *socket;
	double temperature;
	int has_temperature;
	long max_tokens;   /* 0: the broker's default */
	long timeout_ms;   /* 0: none */
	const char *cid;   /* --cid */
	const char *query; /* log -q */
	int cont;          /* -c */
	int stream;
	int json;
	int show_usage;
	int chat;           /* orask chat: the history is opened at the start */
	int raw;            /* --raw: the answer exactly as received, never rendered */
	int markdown_never; /* orask.conf: markdown = "never" */
	long keep_days, keep_conversations; /* history retention; 0: no limit */
};

/* What the answers of this run cost, for chat's /usage. */
struct orask_tally {
	long exchanges, prompt_tokens, completion_tokens;
	double cost;
	int has_cost;
};

/* Where the exchange is remembered. */
struct orask_memory {
	struct orask_tally tally;
	struct orask_history *history;   /* NULL until needed */
	struct orask_conversation *conv; /* the conversation the question goes to */
	char *dir;                       /* the state directory; NULL: no history */
	char terminal[ORASK_TERMINAL_KEY_MAX];
	int has_terminal;
	char unavailable[1024]; /* why there is no history */
};

/* The signal that asked orask to stop (SIGINT, SIGTERM), or 0. */
extern volatile sig_atomic_t orask_interrupted;

/* Print "orask: <message>" on stderr. */
void orask_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The exit code for a library status; 130 and the like after a signal. */
int orask_exit_for(enum ora_status status);

/* Print the client's last error and return the exit code for status. */
int orask_fail(struct ora_client *c, enum ora_status status);

/* Whether to colour output written to fd: never with NO_COLOR set and not
 * empty; else as orask.conf's color says, "auto" meaning a terminal whose
 * TERM is not "dumb". */
int orask_use_color(int fd);
extern enum orask_color orask_color_choice;

/* cost in USD as a person writes it: 0.0000225, not 2.25e-05. */
void orask_format_cost(char *buf, size_t size, double cost);

/* Write untrusted text to f; on a terminal, control characters other than
 * tab, newline and carriage return become '?'. */
void orask_write_text(FILE *f, int tty, const char *text, size_t len);

/* input.c: the question: the arguments joined by spaces (the instruction),
 * then, if standard input is not a terminal and not named by -f -, its
 * content (the material), then each file as a labelled part
 * (<file name="...">...</file>), separated by blank lines. Text only:
 * binary or non-UTF-8 input is refused (exit 2), more than
 * ORASK_MAX_INPUT in all too (exit 8), before anything is sent. Returns 0
 * and sets *out (free() it), or an exit code after printing why. */
int orask_read_question(int argc, char **argv, char *const *files, size_t n_files, char **out);

/* memory.c: before the question is sent, pick its conversation (opening
 * the history for -c and --cid; only checking it otherwise). Returns 0 or
 * an exit code after printing why (an unsafe history). */
int orask_memory_prepare(const struct orask_options *o, struct orask_memory *mem);

/* After the answer: record the exchange (opening the history now if need
 * be), or say once a day that there is no history. */
void orask_memory_record(struct orask_memory *mem, const struct orask_options *o,
    const char *question, const char *answer, const struct ora_reply *reply,
    enum orask_outcome outcome);
void orask_memory_close(struct orask_memory *mem);

/* ask.c: ask (continuing mem->conv), print the answer, remember the
 * exchange; returns the exit code. */
int orask_ask(struct ora_client *c, const struct orask_options *o, const char *question,
    struct orask_memory *mem);

/* chat.c: `orask chat`, until Ctrl-D or /exit; returns the exit code. */
int orask_chat(struct ora_client *c, struct orask_options *o, struct orask_memory *mem);

/* info.c: the subcommands; each returns the exit code. */
int orask_models(struct ora_client *c, int json);
int orask_me(struct ora_client *c, int json);
int orask_usage(struct ora_client *c, int json);

/* `orask templates`: the templates of orask.conf. */
int orask_templates(const struct orask_settings *s, int json);

/* After an answer, with -u: the budgets left, on stderr, when the broker
 * reports them (nothing when it has no /api/v1/usage). */
void orask_print_budgets(struct ora_client *c);

/* An amount in USD with at least two decimals: $10.00, $0.0000225; "-"
 * when !have. */
void orask_format_dollars(char *buf, size_t size, int have, double value);

/* conversations.c: `orask log [N] [-q TEXT] [--cid ID]`, `orask show ID`,
 * `orask rm ID`; each returns the exit code. */
int orask_log(const struct orask_options *o, const struct orask_command *cmd);
int orask_show(const struct orask_options *o, const char *id);
int orask_rm(const struct orask_options *o, const char *id);

/* costs.c: ask the broker for the cost of the exchanges of x cut short
 * before it was known (the newest first, a bounded number), and record
 * what it knows in h and x. Quiet when the broker cannot be asked: those
 * stay pending. */
void orask_fill_costs(
    const struct orask_options *o, struct orask_history *h, struct orask_exchanges *x);

/* input.c: the offset of the first byte of s (len bytes) that is not
 * valid UTF-8, or -1 when all of it is. */
long orask_utf8_invalid_at(const char *s, size_t len);

#endif
