/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ora/client.h: libora-client, the C client of the ora broker (orad).
 *
 * orad listens on a Unix socket and speaks OpenRouter's HTTP API there. It
 * knows who you are from the kernel (peer credentials), so a client sends no
 * API key: this library only needs the socket path.
 *
 * Conventions, true of every function below unless its comment says otherwise:
 * - Functions that can fail return an enum ora_status; ORA_OK is 0. On
 *   failure, ora_client_last_error(c) holds one sentence for a person (the
 *   broker's own message when the broker refused the request).
 * - Objects the library hands out (*out) are owned by the caller and freed with
 *   the matching *_free() function; every *_free() accepts NULL. On failure
 *   *out is set to NULL.
 * - Pointer arguments must not be NULL unless the comment says they may be;
 *   c is always a client from ora_client_open().
 * - Strings are UTF-8 and NUL-terminated. Struct fields documented as
 *   "may be NULL" are NULL when the broker did not send them.
 * - The library never prints, never exits and keeps no global state of its
 *   own. One struct ora_client must not be used by two threads at once; use
 *   one client per thread (they are cheap: one idle connection each).
 * - No signal handlers: a write to a socket the broker closed is an error,
 *   never SIGPIPE; a signal that interrupts a wait runs the cancel check
 *   (ora_client_set_cancel_check()) and, unless it says stop, waits on.
 * - Structs the library allocates may gain fields at their end in later
 *   versions; never allocate or copy them yourself.
 *
 * Link with `pkg-config --cflags --libs ora-client`.
 */
#ifndef ORA_CLIENT_H
#define ORA_CLIENT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The socket used when neither the caller nor ORA_SOCKET names one. */
#define ORA_DEFAULT_SOCKET "/run/ora/ora.sock"

enum ora_status {
	ORA_OK = 0,
	ORA_E_INVALID,                 /* bad argument to a library function */
	ORA_E_NOMEM,                   /* out of memory */
	ORA_E_UNREACHABLE,             /* no broker at the socket, or it hung up */
	ORA_E_NOT_PERMITTED,           /* no policy rule grants you access (403) */
	ORA_E_MODEL_NOT_ALLOWED,       /* your role may not use that model (403) */
	ORA_E_COST_CENTRE_NOT_ALLOWED, /* that cost centre is not granted (403) */
	ORA_E_BUDGET,                  /* a budget is exhausted (402) */
	ORA_E_RATE_LIMITED,            /* too many requests or connections (429) */
	ORA_E_UPSTREAM,                /* OpenRouter or a provider failed */
	ORA_E_UPSTREAM_MIDSTREAM,      /* the answer broke off after it had started */
	ORA_E_BAD_REQUEST,             /* the broker rejected the request (400) */
	ORA_E_TOO_LARGE,               /* the request is too large (413) */
	ORA_E_NOT_FOUND,               /* no such path in this broker (404, 405) */
	ORA_E_UNAVAILABLE,             /* the broker is shutting down (503) */
	ORA_E_TIMEOUT,                 /* the timeout set on the client expired */
	ORA_E_CANCELLED,               /* a callback or the cancel check said stop */
	ORA_E_PROTOCOL,                /* the broker's answer made no sense */
	ORA_E_INTERNAL,                /* the broker failed (500) */
};

/* A short constant description of a status ("broker unreachable"), never
 * NULL, for any value including ones this version does not know. */
const char *ora_status_str(enum ora_status status);

/* ---- Client ------------------------------------------------------------ */

struct ora_client;

/* Create a client for the broker at socket_path; NULL or "" means the
 * environment variable ORA_SOCKET, else ORA_DEFAULT_SOCKET. Does not connect:
 * the first request does, and later requests reuse the connection. Returns
 * ORA_OK and sets *out, or ORA_E_NOMEM / ORA_E_INVALID (path too long for a
 * Unix socket) with *out NULL; no client exists then to ask for a message. */
enum ora_status ora_client_open(const char *socket_path, struct ora_client **out);

/* Close the connection and free the client. */
void ora_client_close(struct ora_client *c);

/* The socket path this client uses. */
const char *ora_client_socket_path(const struct ora_client *c);

/* Send later requests on behalf of cost centre name (one of those the broker
 * granted you; see ora_client_me()), as the X-Ora-Cost-Centre header. NULL or
 * "" goes back to your default cost centre. ORA_E_INVALID if name contains
 * characters that cannot go into a header. */
enum ora_status ora_client_set_cost_centre(struct ora_client *c, const char *name);

/* Give up on any later request that takes longer than timeout_ms in total
 * (ORA_E_TIMEOUT). 0, the default, means no limit: the broker has its own.
 * Connecting always times out after a few seconds. */
enum ora_status ora_client_set_timeout(struct ora_client *c, long timeout_ms);

/* check(arg) is called often (at least about once a second) while a request
 * is in progress, even when no data is arriving; when it returns non-zero the
 * request is aborted, the connection closed (so the broker stops the upstream
 * request) and the call returns ORA_E_CANCELLED. Made for Ctrl-C: a signal
 * handler sets a flag and check reads it. NULL removes the check. */
void ora_client_set_cancel_check(struct ora_client *c, int (*check)(void *arg), void *arg);

/* The message of the last failure on c: the broker's sentence when it sent
 * one, else the library's. "" after a success. Valid until the next call on
 * c. */
const char *ora_client_last_error(const struct ora_client *c);

/* The broker's stable error code for the last failure ("budget_exhausted",
 * "model_not_allowed", ...), or NULL when it sent none (for example an error
 * passed through from OpenRouter). Valid until the next call on c. */
const char *ora_client_last_error_type(const struct ora_client *c);

/* HTTP status of the last response, 0 if none arrived. */
long ora_client_last_http_status(const struct ora_client *c);

/* Seconds the broker asked to wait before retrying (Retry-After) with the
 * last failure, or -1 if it did not say. */
long ora_client_last_retry_after(const struct ora_client *c);

/* ---- Chat requests ----------------------------------------------------- */

struct ora_request;

/* An empty request: no messages, the role's default model, the broker's
 * default max_tokens and temperature. NULL when out of memory. */
struct ora_request *ora_request_new(void);
void ora_request_free(struct ora_request *r);

/* Model slug ("openai/gpt-4o-mini"); NULL or "" means your role's default. */
enum ora_status ora_request_set_model(struct ora_request *r, const char *model);

/* A system prompt, sent as the first message; NULL removes it. */
enum ora_status ora_request_set_system(struct ora_request *r, const char *system);

/* Append a message; role is "user", "assistant" or "system". Both strings are
 * copied. ORA_E_INVALID for any other role or a NULL content. */
enum ora_status ora_request_add_message(
    struct ora_request *r, const char *role, const char *content);

/* Sampling temperature, 0 to 2. */
enum ora_status ora_request_set_temperature(struct ora_request *r, double temperature);

/* Upper bound of answer tokens, at least 1 (the broker may cap it). */
enum ora_status ora_request_set_max_tokens(struct ora_request *r, long max_tokens);

/* The request as the JSON body the broker receives, with "stream" set as
 * given. Caller frees with free(). NULL when out of memory or r is NULL. */
char *ora_request_to_json(const struct ora_request *r, int stream);

struct ora_usage {
	long prompt_tokens;     /* -1 when not reported */
	long completion_tokens; /* -1 when not reported; includes reasoning */
	long total_tokens;      /* -1 when not reported */
	double cost;            /* USD billed; meaningful only if has_cost */
	int has_cost;
};

struct ora_reply {
	char *text;          /* the answer; never NULL ("" if empty); NULL after a stream */
	char *model;         /* the model that served the request; may be NULL */
	char *id;            /* generation id ("gen-..."); may be NULL */
	char *finish_reason; /* "stop", "length", ...; may be NULL */
	struct ora_usage usage;
};

void ora_reply_free(struct ora_reply *reply);

/* Ask and wait for the whole answer. Returns ORA_OK with *out set, or an
 * error (a 200 whose choice reports an error is ORA_E_UPSTREAM). */
enum ora_status ora_client_chat(
    struct ora_client *c, const struct ora_request *req, struct ora_reply **out);

/* Called with each piece of the answer as it arrives: text is len bytes, not
 * NUL-terminated, and only valid during the call. Return 0 to go on, non-zero
 * to stop: the library then aborts the transfer at once, so the broker sees
 * the hang-up and stops the upstream request. */
typedef int (*ora_delta_fn)(void *arg, const char *text, size_t len);

/* Ask with streaming. on_content receives the answer, on_reasoning the
 * model's reasoning (when it sends some); either may be NULL. On ORA_OK, *out
 * (if out is not NULL) holds the served model, finish reason, usage and cost,
 * with text NULL. A callback's non-zero return gives ORA_E_CANCELLED; an
 * error after the answer started (an error chunk, or the stream breaking off)
 * gives ORA_E_UPSTREAM_MIDSTREAM: the deltas already delivered are all the
 * answer there is. */
enum ora_status ora_client_chat_stream(struct ora_client *c, const struct ora_request *req,
    ora_delta_fn on_content, ora_delta_fn on_reasoning, void *arg, struct ora_reply **out);

/* ---- What an answer cost, even one that did not finish ------------------ */

/* The generation id ("gen-...") the broker named for the last chat request
 * on c (ora_client_chat() or ora_client_chat_stream()), whatever its
 * outcome: an answer cancelled, timed out or broken off after the upstream
 * started it keeps the id it was given, and was probably billed for what
 * was generated. NULL when no id was named (the request never reached the
 * upstream) or the last call on c was not a chat request. Valid until the
 * next call on c. Its cost: ora_client_generation(). */
const char *ora_client_last_generation_id(const struct ora_client *c);

/* The usage the last chat request on c reported before it ended, also when
 * it failed (an error in the middle of a stream may carry the usage so
 * far). Returns 1 and fills *usage when some was reported, else 0 and sets
 * *usage to "not reported" (-1 tokens, no cost). After a success the reply
 * holds the same. */
int ora_client_last_usage(const struct ora_client *c, struct ora_usage *usage);

struct ora_generation {
	char *id;               /* never NULL */
	char *model;            /* the model that served it; may be NULL */
	long prompt_tokens;     /* -1 when not reported */
	long completion_tokens; /* -1 when not reported; includes reasoning */
	double cost;            /* USD billed; meaningful only if has_cost */
	int has_cost;
	int estimated; /* the cost could not be learned from the upstream:
	                  the broker charged what it had reserved */
	int cancelled; /* the client hung up before the end */
};

void ora_generation_free(struct ora_generation *g);

/* What the broker's ledger holds about generation id, one of your own
 * requests (GET /api/v1/generation?id=ID, in OpenRouter's shape): the cost
 * it settled at, tokens and model. ORA_E_NOT_FOUND when the broker has no
 * request of yours with that id, when it has not learned the cost yet (the
 * cost of an answer cut short is usually known a second or so after it
 * ended: ask again later), or when the broker is too old to answer this. */
enum ora_status ora_client_generation(
    struct ora_client *c, const char *id, struct ora_generation **out);

/* ---- Models and identity ----------------------------------------------- */

struct ora_model {
	char *id;                /* slug, never NULL */
	char *name;              /* display name; may be NULL */
	long context_length;     /* tokens; -1 when not reported */
	double prompt_price;     /* USD per prompt token */
	double completion_price; /* USD per completion token */
};

struct ora_model_list {
	size_t count;
	struct ora_model **models; /* count pointers, in the broker's order */
};

void ora_model_list_free(struct ora_model_list *list);

/* The models you may use, with prices. */
enum ora_status ora_client_models(struct ora_client *c, struct ora_model_list **out);

struct ora_me {
	char *user;    /* login name; may be NULL */
	long uid;      /* -1 when not reported */
	long gid;      /* -1 when not reported */
	char **groups; /* n_groups names */
	size_t n_groups;
	long rule_line;      /* the policy rule that matched; -1 if unknown */
	char *rule_match;    /* what it matched ("group research"); may be NULL */
	char *role;          /* may be NULL */
	char *cost_centre;   /* the default cost centre; may be NULL */
	char **cost_centres; /* n_cost_centres names you may choose from */
	size_t n_cost_centres;
	char **models; /* n_models glob patterns your role allows */
	size_t n_models;
	char *default_model; /* may be NULL */
	long max_tokens;     /* -1 when not reported; likewise the next two */
	long requests_per_minute;
	long concurrent_requests;
	char *json; /* the broker's whole answer, for fields not above */
};

void ora_me_free(struct ora_me *me);

/* Who the broker thinks you are and what you may do. */
enum ora_status ora_client_me(struct ora_client *c, struct ora_me **out);

/* ---- Anything else ----------------------------------------------------- */

/* Send method ("GET", "POST", ...) to path (starting with "/", such as
 * "/api/v1/usage") with body (body_len bytes, sent as application/json; NULL
 * for none). *status gets the HTTP status and *resp_body the response
 * (NUL-terminated, free() it; *resp_len its length without the NUL) whatever
 * the status; resp_len may be NULL. Returns ORA_OK for a 2xx status; for
 * another status the error it means (ORA_E_NOT_FOUND for 404, ...) with the
 * body still returned; on a transport failure *status is 0 and *resp_body
 * NULL. */
enum ora_status ora_client_request(struct ora_client *c, const char *method, const char *path,
    const char *body, size_t body_len, long *status, char **resp_body, size_t *resp_len);

#ifdef __cplusplus
}
#endif

#endif
