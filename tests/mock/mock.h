/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * mock.h: ora-mock, a fake OpenRouter upstream for ora's tests and benchmarks.
 *
 * One single-threaded libevent process serves OpenRouter's wire format
 * (see /work/shared/openrouter-api.md) on loopback, records what it billed,
 * and lets tests inject faults through a small control API under /mock/.
 * README.md in this directory is the user manual; this header is the
 * contract between the mock's own files.
 *
 * Conventions: every function is prefixed mock_; fallible functions return
 * 0 on success and -1 on failure. Allocation failure aborts (mock_xmalloc):
 * the mock is a test instrument, and a half-answered request would make a
 * test lie rather than fail.
 *
 * Deterministic numbers, so tests can predict them without the mock:
 *   prompt_tokens     = sum over messages of (ceil(bytes(text) / 4) + 4),
 *                       where text is the message's string content, or the
 *                       concatenated "text" fields of its content parts.
 *   completion tokens = words of the answer; a word is a run of non-blanks
 *                       plus the blanks that follow it (one stream chunk each).
 *   cost (USD)        = prompt_tokens * pricing.prompt
 *                       + completion_tokens * pricing.completion,
 *                       in exact integer picodollars (1e-12 USD), and 0 when
 *                       no completion token was produced (OpenRouter does not
 *                       charge responses that end blank or in error).
 * Every generation that started is recorded, including uncharged ones
 * (cost 0, "charged": false); requests refused with an HTTP error are not.
 */
#ifndef ORA_MOCK_H
#define ORA_MOCK_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>
#include <json-c/json.h>

/* Limits on untrusted input and resources, in one place. */
#define MOCK_MAX_BODY_BYTES (8 * 1024 * 1024)
#define MOCK_MAX_HEADERS_BYTES (64 * 1024)
#define MOCK_REQUEST_LOG_MAX 1000
#define MOCK_IDLE_TIMEOUT_S 300  /* long enough for paused streams in tests */
#define MOCK_LISTEN_BACKLOG 4096 /* 1000+ clients may connect at once */
#define MOCK_PROMPT_ECHO_WORDS 8 /* words of the last user message echoed */
#define MOCK_MAX_DELAY_MS (3600 * 1000)
#define MOCK_MAX_FAULT_TOKENS 1000000
#define MOCK_MAX_PRICE_PICO 1000000000000LL /* 1 USD per token keeps cost in int64 */
#define MOCK_PICO_PER_USD 1000000000000LL
#define MOCK_MONEY_STRLEN 32 /* "-9223372.036854775807" fits */
#define MOCK_GEN_ID_LEN 48   /* "gen-<unix>-<20 alnum>" */
#define MOCK_PROVIDER "MockAI"
#define MOCK_USER_ID "user_mock"
#define MOCK_WHITESPACE_PREFIX "\n \n\n  \n"

/* ---- memory (mock_util.c) ---------------------------------------------- */

void *mock_xmalloc(size_t n);
void *mock_xcalloc(size_t n, size_t size);
void *mock_xrealloc(void *p, size_t n);
char *mock_xstrdup(const char *s); /* NULL stays NULL */
char *mock_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t mock_now_us(void); /* monotonic */
int64_t mock_wall_ms(void); /* epoch milliseconds */
/* ISO 8601 UTC with milliseconds, e.g. 2026-01-22T19:58:21.537Z. */
void mock_iso8601(int64_t wall_ms, char *buf, size_t size);
/* Fill buf with "gen-<unix>-<20 random alnum>" (size >= MOCK_GEN_ID_LEN). */
void mock_gen_id(char *buf, size_t size, int64_t unix_s);

/* ---- string-keyed hash map (mock_map.c) -------------------------------- */

/* Keys are arbitrary bytes, copied in; values are owned by the caller. */
struct mock_map;
struct mock_map *mock_map_new(void);
/* free_value (may be NULL) is called on each value. NULL map is fine. */
void mock_map_free(struct mock_map *m, void (*free_value)(void *));
void mock_map_clear(struct mock_map *m, void (*free_value)(void *));
void *mock_map_get(const struct mock_map *m, const void *key, size_t keylen);
/* Insert or replace; returns the value replaced, or NULL. */
void *mock_map_put(struct mock_map *m, const void *key, size_t keylen, void *value);
/* Remove; returns the value removed, or NULL. */
void *mock_map_remove(struct mock_map *m, const void *key, size_t keylen);
size_t mock_map_count(const struct mock_map *m);

/* ---- money (mock_money.c) ---------------------------------------------- */

/* Parse a decimal USD string ("0.00000015", "1e-7" too) into picodollars.
 * Negative prices (OpenRouter uses "-1" for router models whose price
 * depends on the model picked) become 0. Fails on junk, on more precision
 * than a picodollar, and above MOCK_MAX_PRICE_PICO. */
int mock_money_parse(const char *s, int64_t *pico);
/* Plain decimal, no exponent, no trailing zeros: 22500000 -> "0.0000225". */
void mock_money_format(int64_t pico, char *buf, size_t size);
/* A JSON number whose text is mock_money_format(pico). */
json_object *mock_money_json(int64_t pico);
/* tokens * price, saturating instead of overflowing. */
int64_t mock_money_mul(int64_t tokens, int64_t price_pico);

/* ---- catalog (mock_catalog.c) ------------------------------------------ */

struct mock_model {
	char *id;
	int64_t prompt_pico;     /* per token */
	int64_t completion_pico; /* per token */
};

struct mock_catalog;
struct mock_catalog *mock_catalog_builtin(void);
/* Load a /models-shaped JSON file; logs the reason to stderr on failure. */
int mock_catalog_load(const char *path, struct mock_catalog **out);
void mock_catalog_free(struct mock_catalog *c);
const struct mock_model *mock_catalog_find(const struct mock_catalog *c, const char *id);
const struct mock_model *mock_catalog_first(const struct mock_catalog *c);
/* The /models body, serialised once at load time. */
const char *mock_catalog_body(const struct mock_catalog *c, size_t *len);

/* ---- faults (mock_faults.c) -------------------------------------------- */

/* One parsed fault spec; shared by reference between the queue and the
 * generations it applies to, since DELETE /mock/faults may come mid-stream.
 * Integer fields are -1 when absent. */
struct mock_fault {
	int refs;
	int times; /* 0 = forever; else requests left to apply to */
	int status;
	char *message;
	json_object *metadata;
	int retry_after;
	int rate_limit_headers;
	int delay_headers_ms;
	int delay_events_ms;
	int whitespace_prefix;
	int processing_comments;
	int error_after_events;
	int cut_before_headers;
	int cut_after_events;
	int pause_after_events;
	int drip_bytes;
	int completion_tokens;
	char **fail_models;
	size_t n_fail_models;
	int usage_repeats_choice;
	char *content;
	json_object *spec; /* as posted, for GET /mock/faults */
};

struct mock_faults; /* the queue */
struct mock_faults *mock_faults_new(void);
void mock_faults_free(struct mock_faults *q);
void mock_faults_clear(struct mock_faults *q);
/* The fault for the next chat request (a new reference), or NULL. */
struct mock_fault *mock_faults_take(struct mock_faults *q);
struct mock_fault *mock_fault_ref(struct mock_fault *f);
void mock_fault_unref(struct mock_fault *f);
int mock_fault_fails_model(const struct mock_fault *f, const char *model);
/* OpenRouter's usual message for an HTTP error code. */
const char *mock_fault_message(int code);

/* ---- server state (mock_http.c owns the HTTP side) --------------------- */

struct mock_gen;
struct mock_records;
struct mock_shape;

/* One accepted connection that has sent at least one request. */
struct mock_conn {
	struct mock_server *srv;
	struct evhttp_connection *evcon;
	struct mock_gen *gen; /* chat request in flight on it, or NULL */
};

struct mock_stats {
	uint64_t connections; /* accepted, counted in the bevcb */
	uint64_t req_chat;
	uint64_t req_messages;  /* POST /api/v1/messages */
	uint64_t req_responses; /* POST /api/v1/responses */
	uint64_t req_models;
	uint64_t req_key;
	uint64_t req_generation;
	uint64_t req_control;
	uint64_t attempts;      /* chat requests received, faulted or not */
	uint64_t client_aborts; /* streams whose client left before [DONE] */
	uint64_t faults_applied;
};

struct mock_server {
	struct event_base *base;
	struct evhttp *http;
	struct mock_catalog *catalog;
	struct mock_map *keys;            /* accepted keys, or NULL: any sk-or-v1- */
	struct mock_map *management_keys; /* --management-keys, or NULL */
	struct mock_keys *provisioned;    /* keys made through POST /keys */
	struct mock_map *conns;           /* evhttp_connection pointer -> mock_conn */
	struct mock_faults *faults;
	struct mock_records *records;
	struct mock_gen *gens; /* in-flight chat requests, linked list */
	struct mock_stats stats;
	uint64_t open_connections;
	uint64_t active_streams;
	int generation_delay_ms;
	int quiet;
	int shutting_down;
	uint16_t port;
};

/* Listen on spec ("HOST:PORT", "[::1]:0"); sets srv->port. */
int mock_http_start(struct mock_server *srv, const char *listen_spec);
void mock_http_stop(struct mock_server *srv);
/* The mock_conn of req's connection, created (with a close callback) on
 * first sight. */
struct mock_conn *mock_http_conn(struct mock_server *srv, struct evhttp_request *req);
/* Send obj (reference consumed) as the JSON body, with status. */
void mock_http_reply_json(
    struct mock_server *srv, struct evhttp_request *req, int status, json_object *obj);
void mock_http_reply_text(struct mock_server *srv, struct evhttp_request *req, int status,
    const char *ctype, const char *body, size_t len);
/* OpenRouter's error body; metadata (consumed) may be NULL. */
json_object *mock_http_error_body(int code, const char *message, json_object *metadata);
void mock_http_reply_error(struct mock_server *srv, struct evhttp_request *req, int code,
    const char *message, json_object *metadata);
/* The HTTP error a fault asks for, with Retry-After and X-RateLimit-*
 * headers when f says so (f may be NULL), in shape's error format;
 * metadata is consumed. */
void mock_fault_reply(struct mock_server *srv, struct evhttp_request *req,
    const struct mock_fault *f, int code, const char *message, json_object *metadata,
    const struct mock_shape *shape);
/* Bearer key of req if accepted (pointer into req's headers); else -1 and
 * *why is OpenRouter's 401 message. */
int mock_http_auth(
    struct mock_server *srv, struct evhttp_request *req, const char **key, const char **why);
/* The request body as a NUL-terminated string (owned by the evbuffer). */
const char *mock_http_body(struct evhttp_request *req, size_t *len);
/* One line to stderr unless --quiet; req NULL means a chat request whose
 * evhttp request is already gone. note (may be NULL) is appended. */
void mock_http_log(
    struct mock_server *srv, struct evhttp_request *req, int status, const char *note);
const char *mock_http_header(struct evhttp_request *req, const char *name);

/* ---- endpoints --------------------------------------------------------- */

void mock_chat_handle(struct mock_server *srv, struct evhttp_request *req);
void mock_messages_handle(struct mock_server *srv, struct evhttp_request *req);
void mock_responses_handle(struct mock_server *srv, struct evhttp_request *req);
void mock_catalog_handle(struct mock_server *srv, struct evhttp_request *req);
void mock_records_handle_key(struct mock_server *srv, struct evhttp_request *req);
void mock_records_handle_generation(struct mock_server *srv, struct evhttp_request *req);
/* /mock/... (path is the part after "/mock/"). */
void mock_control_handle(struct mock_server *srv, struct evhttp_request *req, const char *path);
void mock_faults_handle(struct mock_server *srv, struct evhttp_request *req);

/* ---- generations in flight (mock_gen.c) -------------------------------- */

enum mock_gen_status {
	MOCK_GEN_COMPLETE,  /* answered in full */
	MOCK_GEN_CANCELLED, /* client hung up first */
	MOCK_GEN_ERROR,     /* error_after_events: ended with an error */
	MOCK_GEN_CUT,       /* cut_after_events: the mock dropped the connection */
};

/* One chat request from the moment it passed validation to its end. Built
 * by mock_chat.c, run by mock_gen.c, recorded by mock_records.c. */
struct mock_gen {
	struct mock_server *srv;
	struct mock_gen *prev, *next;
	struct evhttp_request *req; /* NULL once answered or freed */
	struct mock_conn *conn;
	struct mock_fault *fault;       /* reference, or NULL */
	const struct mock_shape *shape; /* the endpoint's wire format */
	struct event *timer;
	/* Refusal decided before generating (fault status, failed models). */
	int error_status;
	char *error_message;
	json_object *error_metadata;
	/* What is being answered. */
	char id[MOCK_GEN_ID_LEN];
	int64_t created; /* unix seconds */
	int64_t start_wall_ms;
	uint64_t start_us;
	const struct mock_model *model; /* served; the catalog outlives us */
	char *model_requested;
	json_object *models; /* the request's fallback list, or NULL */
	int stream;
	char **words; /* the answer, one completion token each */
	size_t n_words;
	const char *finish_reason; /* "stop" or "length" */
	int64_t prompt_tokens;
	char *key, *user, *referer, *x_title, *x_openrouter_title;
	/* Progress of the answer. */
	int phase;
	int comments_left;
	size_t words_emitted; /* content events produced */
	size_t words_sent;    /* content events handed to the socket */
	int paused;
	int pause_done;
	int headers_sent;
	int chunked;
	struct evbuffer *drip; /* bytes produced but not yet dripped */
	size_t drip_words;     /* content events inside drip */
	uint64_t first_token_us;
	int64_t sequence; /* responses: sequence_number of the next event */
	int reply_status; /* non-stream: HTTP status of the body, 0 = 200 */
};

/* Allocate a generation for req and link it to its connection. */
struct mock_gen *mock_gen_new(struct mock_server *srv, struct evhttp_request *req);
/* Begin answering (headers delay, faults, stream or body); takes over. */
void mock_gen_start(struct mock_gen *gen);
/* The connection of gen closed under it (client hang-up or shutdown). */
void mock_gen_conn_closed(struct mock_gen *gen);
/* Resume paused streams; returns how many. */
int mock_gen_resume_all(struct mock_server *srv);
void mock_gen_free(struct mock_gen *gen);

/* ---- wire format builders (mock_wire.c) -------------------------------- */

int64_t mock_wire_cost(const struct mock_gen *gen, size_t completion_tokens);
json_object *mock_wire_usage(const struct mock_gen *gen, size_t completion_tokens);
/* Non-streaming body; error_tokens >= 0 makes it a 200 carrying
 * choices[0].error after that many words. */
json_object *mock_wire_completion(const struct mock_gen *gen, long error_tokens);
/* Stream chunks, each as "data: {...}\n\n" appended to out. */
void mock_wire_chunk_content(const struct mock_gen *gen, size_t word, struct evbuffer *out);
void mock_wire_chunk_finish(const struct mock_gen *gen, struct evbuffer *out);
void mock_wire_chunk_usage(const struct mock_gen *gen, struct evbuffer *out);
void mock_wire_chunk_error(const struct mock_gen *gen, struct evbuffer *out);
/* The chat shape's entries in struct mock_shape (below). */
json_object *mock_wire_chat_body(struct mock_gen *gen, long error_tokens);
void mock_wire_nothing(struct mock_gen *gen, struct evbuffer *out);
void mock_wire_chat_word(struct mock_gen *gen, size_t word, struct evbuffer *out);
void mock_wire_chat_finish(struct mock_gen *gen, struct evbuffer *out);
void mock_wire_chat_usage(struct mock_gen *gen, struct evbuffer *out);
void mock_wire_chat_done(struct mock_gen *gen, struct evbuffer *out);
void mock_wire_chat_error(struct mock_gen *gen, struct evbuffer *out);

/* ---- wire shapes --------------------------------------------------------
 *
 * One endpoint's request fields and answer format. The request handler
 * (mock_chat.c) and the state machine (mock_gen.c) are shared: a shape only
 * says where the prompt, the fallbacks, the token cap and the user live in a
 * request, and how an answer, a stream event and an error are spelled.
 * Chat completions in mock_wire.c, Anthropic messages in mock_messages.c,
 * OpenAI responses in mock_responses.c.
 */
struct mock_shape {
	const char *name; /* "chat", "messages", "responses": in records and log */
	/* The prompt as chat-style messages [{role, content}] (new reference)
	 * for the token formula and the echoed words; NULL and *why for 400. */
	json_object *(*prompt)(json_object *body, const char **why);
	/* The fallback list as an array of model ids (new reference, or
	 * NULL when absent); -1 and *why (to free) for 400. */
	int (*models)(json_object *body, json_object **models, char **why);
	const char *const *max_tokens_fields;   /* NULL-terminated */
	const char *(*user)(json_object *body); /* the end-user id sent */
	/* The error body for an HTTP error; metadata consumed, may be NULL. */
	json_object *(*error_body)(int code, const char *message, json_object *metadata);
	/* Non-stream answer; error_tokens >= 0: ended in error after that
	 * many words (the shape may set gen->reply_status). */
	json_object *(*body)(struct mock_gen *gen, long error_tokens);
	/* Stream events, appended to out; start and done may add nothing. */
	void (*stream_start)(struct mock_gen *gen, struct evbuffer *out);
	void (*stream_word)(struct mock_gen *gen, size_t word, struct evbuffer *out);
	void (*stream_finish)(struct mock_gen *gen, struct evbuffer *out);
	void (*stream_usage)(struct mock_gen *gen, struct evbuffer *out);
	void (*stream_done)(struct mock_gen *gen, struct evbuffer *out);
	void (*stream_error)(struct mock_gen *gen, struct evbuffer *out);
};

extern const struct mock_shape mock_shape_chat;
extern const struct mock_shape mock_shape_messages;
extern const struct mock_shape mock_shape_responses;

/* POST of any shape: log, authenticate, validate, pick the model, take a
 * fault, start the generation. */
void mock_chat_handle_shape(
    struct mock_server *srv, struct evhttp_request *req, const struct mock_shape *shape);
/* Helpers the shapes share (mock_chat.c / mock_wire.c). */
const char *mock_chat_str(json_object *obj, const char *field);
/* The answer's first n words joined (to free). */
char *mock_wire_text(const struct mock_gen *gen, size_t n);
/* "event: name\ndata: {obj}\n\n" (obj consumed). */
void mock_wire_sse(const char *event, json_object *obj, struct evbuffer *out);
/* The answer's id with another prefix: "msg_" + the part after "gen-". */
char *mock_wire_alt_id(const struct mock_gen *gen, const char *prefix);

/* ---- records (mock_records.c) ------------------------------------------ */

struct mock_records *mock_records_new(void);
void mock_records_free(struct mock_records *r);
void mock_records_clear(struct mock_records *r);
/* Record the end of gen; completion_tokens are the words billed. */
void mock_records_add(struct mock_server *srv, const struct mock_gen *gen,
    enum mock_gen_status status, size_t completion_tokens, const char *finish_reason);
/* Keep entry (reference consumed) among the last MOCK_REQUEST_LOG_MAX. */
void mock_records_log_request(struct mock_records *r, json_object *entry);
json_object *mock_records_requests_json(const struct mock_records *r);
/* ?summary=1 leaves out "data". */
json_object *mock_records_generations_json(const struct mock_records *r, int summary);
/* What key has been charged so far, in picodollars. */
int64_t mock_records_usage(const struct mock_records *r, const char *key);

/* ---- key management (mock_keys.c) -------------------------------------- */

struct mock_keys *mock_keys_new(void);
void mock_keys_free(struct mock_keys *k);
/* For mock_http_auth: 1 a management key or a live created key (accepted),
 * -1 a disabled or deleted created key (*why), 0 neither. */
int mock_keys_auth(struct mock_server *srv, const char *key, const char **why);
/* Before a completion: 0, or the HTTP status refusing it (402 over the
 * key's limit, 403 a management key) with *why. */
int mock_keys_refuse(struct mock_server *srv, const char *key, const char **why);
/* /api/v1/keys and /api/v1/keys/... (rest is what follows "/keys"). */
void mock_keys_handle(struct mock_server *srv, struct evhttp_request *req, const char *rest);
/* /api/v1/key: created and management keys here, others in mock_records.c. */
void mock_keys_handle_key(struct mock_server *srv, struct evhttp_request *req);
/* GET /mock/keys */
void mock_keys_control(struct mock_server *srv, struct evhttp_request *req);

#endif
