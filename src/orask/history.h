/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * history.h: orask's conversations, in a private SQLite database under the
 * user's XDG state directory, searchable with FTS5.
 *
 * In $XDG_STATE_HOME/ora (default ~/.local/state/ora), a directory of mode
 * 0700, the file history.db (mode 0600, like the -wal and -shm files SQLite
 * keeps beside it) holds every conversation: its requested model and
 * system prompt, and each exchange with its question, the answer as
 * received, the model that served it, tokens and cost. An exchange that
 * was interrupted (Ctrl-C, a timeout, an answer broken off) is kept with
 * what was received, marked incomplete, and is not sent again when the
 * conversation goes on; its generation id is kept too, so that its cost,
 * which the broker learns only after the answer ended, can be filled in
 * later (orask log and show ask the broker for it). Nothing is dropped unless the user's retention
 * settings say so (orask.conf: history_max_days, history_max_conversations).
 *
 * The directory and the database are checked on their descriptors before
 * use: a history that is not the caller's, or that others may read, is
 * refused with the chmod that fixes it. Nothing goes to /tmp.
 *
 * A plain question does not open the database (a few milliseconds): its
 * exchange waits in pending.jsonl (0600) until the next orask that opens
 * the database moves it there.
 *
 * Older orask versions kept JSON files (conversations/ID.json, log.jsonl):
 * they are imported the first time the database is created, and left where
 * they are.
 *
 * "This terminal" is the session the shell in it leads (getsid(0)),
 * together with the leader's start time so that a recycled process id is a
 * new terminal.
 */
#ifndef ORA_ORASK_HISTORY_H
#define ORA_ORASK_HISTORY_H

#include <stddef.h>

#include "ora/client.h"

#define ORASK_HISTORY_DB "history.db"
#define ORASK_LOG_QUESTION_MAX 200 /* bytes of the question `orask log` shows */
#define ORASK_CID_MAX 64           /* letters, digits, '-', '_', '.' */
#define ORASK_TERMINAL_KEY_MAX 64
#define ORASK_HISTORY_MAX_TERMINALS 64 /* terminals remembered */

struct orask_history;

struct orask_message {
	char *role; /* "user" or "assistant" */
	char *content;
};

struct orask_conversation {
	char id[ORASK_CID_MAX + 1];
	char *model;                    /* the model asked for; NULL: the role's default */
	char *system;                   /* NULL: none */
	struct orask_message *messages; /* complete exchanges only, oldest first */
	size_t n_messages;
	int is_new;   /* no exchange recorded yet */
	int fresh_id; /* the id was made up here: another may be taken if it clashes */
};

/* Failures of this module, for the caller to decide how fatal they are. */
enum orask_history_status {
	ORASK_HISTORY_OK = 0,
	ORASK_HISTORY_UNSAFE,      /* not the caller's, or open to others: never used */
	ORASK_HISTORY_UNAVAILABLE, /* cannot be created or read (no home, read-only, ...) */
	ORASK_HISTORY_NOT_FOUND,   /* no such conversation / no last one here */
	ORASK_HISTORY_INVALID,     /* a malformed conversation id */
};

/* The state directory: $XDG_STATE_HOME/ora when XDG_STATE_HOME is an
 * absolute path, else $HOME/.local/state/ora, else the password database's
 * home. Returns a malloc'd string, or NULL when there is no home at all. */
char *orask_history_default_dir(void);

/* This terminal's key (see above) into key; -1 if there is no session. */
int orask_history_terminal_key(char *key, size_t size);

/* Whether the history in dir may be used, without opening the database:
 * creates dir (and missing parents) with mode 0700, checks it and, if it
 * exists, the database file. Cheap enough to run before every question, so
 * that an unsafe history stops orask before anything is sent. */
enum orask_history_status orask_history_check(const char *dir, char *msg, size_t msg_size);

/* Open (creating it with mode 0600) the database in dir, after the same
 * checks; imports an older orask's files when it creates the database. On
 * failure msg says why in one sentence, with the command that fixes an
 * unsafe mode. */
enum orask_history_status orask_history_open(
    const char *dir, struct orask_history **out, char *msg, size_t msg_size);
void orask_history_close(struct orask_history *h);

/* Whether id can name a conversation. */
int orask_history_valid_id(const char *id);

/* The conversation to continue: id (which may not exist yet: it then
 * starts under that name), else the last one of terminal key, else a new
 * one with a fresh id (id NULL and key NULL). ORASK_HISTORY_NOT_FOUND when
 * key names a terminal with no conversation yet (*out is then a new one).
 * h may be NULL for a new conversation (the history is opened after the
 * answer). */
enum orask_history_status orask_history_start(struct orask_history *h, const char *id,
    const char *key, struct orask_conversation **out, char *msg, size_t msg_size);
void orask_conversation_free(struct orask_conversation *conv);

/* How an exchange ended. */
enum orask_outcome {
	ORASK_OUTCOME_COMPLETE = 0,
	ORASK_OUTCOME_INTERRUPTED, /* Ctrl-C or a signal */
	ORASK_OUTCOME_BROKEN,      /* the answer broke off (upstream error, timeout) */
};

/* Record an exchange: the conversation (with conv's model and system
 * prompt), the question and the answer as received (reply NULL when no
 * usage is known), and make the conversation terminal key's last (key may
 * be NULL). A complete exchange is appended to conv->messages too. */
enum orask_history_status orask_history_record(struct orask_history *h,
    struct orask_conversation *conv, const char *key, const char *question, const char *answer,
    const struct ora_reply *reply, enum orask_outcome outcome, char *msg, size_t msg_size);

/* Record an exchange without opening the database: append it to the
 * pending file in dir, which the next orask_history_open() moves into the
 * database. Cheap: for a plain question, whose conversation is new. */
enum orask_history_status orask_history_append(const char *dir,
    const struct orask_conversation *conv, const char *key, const char *question,
    const char *answer, const struct ora_reply *reply, enum orask_outcome outcome, char *msg,
    size_t msg_size);

/* Drop conversations last updated more than max_days ago, then the least
 * recently updated past max_conversations; 0 means no limit. */
enum orask_history_status orask_history_retain(
    struct orask_history *h, long max_days, long max_conversations, char *msg, size_t msg_size);

struct orask_exchange {
	long long seq;  /* order of recording */
	long long time; /* seconds since the epoch */
	char cid[ORASK_CID_MAX + 1];
	char *model;                           /* served; NULL: unknown */
	long prompt_tokens, completion_tokens; /* -1: unknown */
	double cost;
	int has_cost;
	enum orask_outcome outcome;
	char *question;
	char *answer;
	char *generation; /* the generation id; NULL: none named */
};

struct orask_exchanges {
	struct orask_exchange *items;
	size_t n;
	/* for orask_history_show(): the conversation's settings */
	char *model, *system;
};

void orask_exchanges_free(struct orask_exchanges *x);

/* The last at most max exchanges, oldest first: all of them, or those of
 * conversation cid (may be NULL), or those whose question or answer holds
 * every word of text (may be NULL; full-text search). */
enum orask_history_status orask_history_log(struct orask_history *h, size_t max, const char *cid,
    const char *text, struct orask_exchanges *out, char *msg, size_t msg_size);

/* Whether e's cost is still to be learned from the broker: an exchange
 * cut short, whose generation the broker named, recorded before the
 * broker knew what it cost. */
int orask_exchange_cost_pending(const struct orask_exchange *e);

/* Fill in the cost of exchange seq, recorded without one, as the broker's
 * ledger settled it (served model may be NULL, tokens -1 when unknown);
 * e is updated to match when not NULL. */
enum orask_history_status orask_history_set_cost(struct orask_history *h, long long seq,
    const char *served, long prompt_tokens, long completion_tokens, double cost,
    struct orask_exchange *e, char *msg, size_t msg_size);

/* Every exchange of conversation id, oldest first; NOT_FOUND if none. */
enum orask_history_status orask_history_show(struct orask_history *h, const char *id,
    struct orask_exchanges *out, char *msg, size_t msg_size);

/* Remove conversation id and its exchanges; *n_removed their number.
 * NOT_FOUND if there is no such conversation. */
enum orask_history_status orask_history_rm(
    struct orask_history *h, const char *id, size_t *n_removed, char *msg, size_t msg_size);

#endif
