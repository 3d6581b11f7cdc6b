/*
 * history.h: orask's conversations and its log of exchanges, in private
 * files under the user's XDG state directory.
 *
 * In $XDG_STATE_HOME/ora (default ~/.local/state/ora), a directory of mode
 * 0700:
 *   conversations/ID.json  one conversation: requested model, system
 *                          prompt and messages, the newest last
 *   terminals.json         the last conversation of each terminal session
 *   log.jsonl              one line per exchange: time, conversation,
 *                          model, tokens, cost, the question's first line
 * Files have mode 0600 from the moment they exist (created with it, written
 * whole under a temporary name and renamed; the log is appended to).
 * Directories and files are checked on the open descriptor before use: a
 * history that is not the caller's, or that others may read, is refused
 * with the chmod that fixes it. Nothing goes to /tmp.
 *
 * "This terminal" is the session the shell in it leads (getsid(0)),
 * together with the leader's start time so that a recycled process id is a
 * new terminal: every command typed in one terminal window, tmux pane or
 * ssh login shares it, pipelines and scripts included, whatever standard
 * input is.
 *
 * Everything is bounded: ORASK_HISTORY_* below.
 */
#ifndef ORA_ORASK_HISTORY_H
#define ORA_ORASK_HISTORY_H

#include <stddef.h>

#include "ora/client.h"

#define ORASK_HISTORY_MAX_EXCHANGES 20         /* per conversation; older ones dropped */
#define ORASK_HISTORY_MAX_BYTES (1024u * 1024) /* likewise; the newest always stays */
#define ORASK_HISTORY_MAX_CONVERSATIONS 100    /* then the least recently used go, down to 90 */
#define ORASK_HISTORY_MAX_TERMINALS 64         /* terminals remembered */
#define ORASK_LOG_MAX_BYTES (256u * 1024)      /* then the older half of the log goes */
#define ORASK_LOG_QUESTION_MAX 200             /* bytes of the question kept in the log */
#define ORASK_CID_MAX 64                       /* letters, digits, '-', '_', '.' */
#define ORASK_TERMINAL_KEY_MAX 64

struct orask_history;

struct orask_message {
	char *role; /* "user" or "assistant" */
	char *content;
};

struct orask_conversation {
	char id[ORASK_CID_MAX + 1];
	char *model;  /* the model asked for; NULL: the role's default */
	char *system; /* NULL: none */
	struct orask_message *messages;
	size_t n_messages;
	int is_new; /* no exchange recorded yet */
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

/* Open (creating it, and missing parents, with mode 0700) the history in
 * dir. On failure *msg (static or in msgbuf) says why in one sentence,
 * with the command that fixes an unsafe mode. */
enum orask_history_status orask_history_open(
    const char *dir, struct orask_history **out, char *msg, size_t msg_size);
void orask_history_close(struct orask_history *h);

/* Whether id can name a conversation. */
int orask_history_valid_id(const char *id);

/* The conversation to continue: id (which may not exist yet: it then
 * starts under that name), else the last one of terminal key, else a new
 * one with a fresh id (id NULL and key NULL). ORASK_HISTORY_NOT_FOUND when
 * key names a terminal with no conversation yet (*out is then a new one). */
enum orask_history_status orask_history_start(struct orask_history *h, const char *id,
    const char *key, struct orask_conversation **out, char *msg, size_t msg_size);
void orask_conversation_free(struct orask_conversation *conv);

/* Record a complete exchange: append it to the conversation's messages (as
 * they are on disk now, should another orask have added to them meanwhile),
 * trim them to the limits, save them with conv's model and system prompt,
 * make the conversation terminal key's last (key may be NULL), log the
 * exchange, and prune old conversations. */
enum orask_history_status orask_history_record(struct orask_history *h,
    struct orask_conversation *conv, const char *key, const char *question, const char *answer,
    const struct ora_reply *reply, char *msg, size_t msg_size);

struct orask_log_entry {
	long long time; /* seconds since the epoch */
	char cid[ORASK_CID_MAX + 1];
	char model[128];
	long prompt_tokens, completion_tokens; /* -1: unknown */
	double cost;
	int has_cost;
	char question[ORASK_LOG_QUESTION_MAX + 1];
};

/* The last at most max entries of the log, oldest first, into *out
 * (free() it); *n their number. */
enum orask_history_status orask_history_log(struct orask_history *h, size_t max,
    struct orask_log_entry **out, size_t *n, char *msg, size_t msg_size);

#endif
