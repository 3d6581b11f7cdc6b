/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * conf.h: ora.conf, parsed once into one immutable struct.
 *
 * The file is libconfig syntax (see etc/ora.conf for a commented example and
 * ora.conf(5) for every setting). ora_conf_load() parses and validates the
 * whole file before anything uses it: a reload either swaps in a complete new
 * struct or keeps the old one. In-flight requests hold a reference to the
 * struct they started with (ora_conf_ref/ora_conf_unref), so a reload never
 * changes the rules under a request.
 */
#ifndef ORA_CONF_H
#define ORA_CONF_H

#include <stddef.h>
#include <sys/types.h>

#include "common/money.h"
#include "common/period.h"
#include "common/util.h"

#define ORA_DEFAULT_CONF_PATH SYSCONFDIR "/ora/ora.conf"
#define ORA_DEFAULT_SOCKET_PATH "/run/ora/ora.sock"
#define ORA_DEFAULT_STATE_DIR LOCALSTATEDIR "/lib/ora"
#define ORA_DEFAULT_MASTER_KEY SYSCONFDIR "/ora/master.key"
#define ORA_DEFAULT_UPSTREAM "https://openrouter.ai/api/v1"

/* Defaults for the limits; each is a setting in the daemon section. */
#define ORA_DEFAULT_MAX_BODY_BYTES (4L * 1024 * 1024)
#define ORA_DEFAULT_MAX_HEADER_BYTES (16L * 1024)
#define ORA_DEFAULT_HEADER_TIMEOUT_S 10
#define ORA_DEFAULT_REQUEST_TIMEOUT_S 600
#define ORA_DEFAULT_MAX_CONN_PER_UID 64
/* A body of max_body_bytes at about 70 kB/s. */
#define ORA_DEFAULT_BODY_TIMEOUT_S 60
#define ORA_DEFAULT_KEEPALIVE_TIMEOUT_S 30
/* Bytes held for requests still being read, all users together. */
#define ORA_DEFAULT_MAX_PENDING_BYTES (64L * 1024 * 1024)
#define ORA_DEFAULT_SHUTDOWN_GRACE_S 30
#define ORA_DEFAULT_CONNECT_TIMEOUT_S 10
#define ORA_DEFAULT_CATALOG_REFRESH_S 300
#define ORA_DEFAULT_RETRIES 2
#define ORA_DEFAULT_RETRY_DEADLINE_S 30
#define ORA_DEFAULT_FIRST_BYTE_TIMEOUT_S 120
#define ORA_DEFAULT_IDLE_TIMEOUT_S 120
#define ORA_DEFAULT_CIRCUIT_FAILURES 5
#define ORA_DEFAULT_CIRCUIT_COOLDOWN_S 10
#define ORA_DEFAULT_MAX_IN_FLIGHT 1024

/* How the upstream `user` field names the caller (OpenRouter uses it for
 * abuse isolation and shows it as external_user in /generation). */
enum ora_user_field {
	ORA_USER_FIELD_NAME = 0, /* "alice" (with user_prefix prepended) */
	ORA_USER_FIELD_UID,      /* "1001" */
	ORA_USER_FIELD_HASH,     /* keyed hash of the name: pseudonymous */
	ORA_USER_FIELD_NONE,     /* field removed */
};

/* A spending limit: at most `limit` in each calendar period. */
struct ora_budget {
	int set;               /* 0: no limit at this level */
	ora_pico limit;        /* picodollars */
	enum ora_period period;
	double warn;           /* fraction of limit at which to warn; 0 = never */
	int line;              /* where it was configured */
};

/* Provider preferences a role or cost centre enforces: OpenRouter's
 * `provider` object. A client's own `provider` may only narrow them (see
 * src/admit/admit_provider.c); a centre's narrow its role's. */
enum ora_data_collection {
	ORA_DATA_UNSET = 0,
	ORA_DATA_ALLOW,
	ORA_DATA_DENY,
};
enum ora_price_part {
	ORA_PRICE_PROMPT = 0, /* USD per million tokens, as OpenRouter's max_price */
	ORA_PRICE_COMPLETION,
	ORA_PRICE_REQUEST,    /* USD per request */
	ORA_PRICE_IMAGE,      /* USD per image */
	ORA_N_PRICE_PARTS
};
struct ora_max_price {
	ora_pico usd[ORA_N_PRICE_PARTS];
	unsigned set;         /* bit per part configured */
};
struct ora_provider_prefs {
	int set;              /* anything configured */
	enum ora_data_collection data_collection;
	int zdr;              /* 1: zero-data-retention endpoints only */
	char **only;          /* n_only == 0: no restriction */
	size_t n_only;
	char **ignore;
	size_t n_ignore;
	struct ora_max_price max_price;
};

struct ora_role {
	char *name;
	char **models;       /* allowed model globs, at least one */
	size_t n_models;
	char *default_model; /* used when a request names no model */
	long max_tokens;     /* cap on max_tokens, and the value applied when a
	                        request gives none; 0 = no cap */
	long requests_per_minute; /* per user; 0 = unlimited */
	long concurrent_requests; /* per user; 0 = unlimited */
	struct ora_budget budget; /* for each user with this role */
	char **fallbacks;         /* models tried in order when the requested
	                             one cannot serve (OpenRouter's `models`) */
	size_t n_fallbacks;
	char **plugins;           /* plugin ids this role may use; none by default */
	size_t n_plugins;
	struct ora_provider_prefs provider; /* enforced on every request */
};

/* A cost centre is a department or environment: the upstream key that pays,
 * an optional further restriction of models, and the attribution title. */
struct ora_cost_centre {
	char *name;
	char *key;       /* name of the upstream key (state_dir/keys/NAME.key) */
	char **models;   /* further restriction; n_models == 0 means none */
	size_t n_models;
	char *title;     /* X-OpenRouter-Title for requests billed here; NULL = upstream.title */
	struct ora_budget budget; /* pooled: everyone billed to this centre */
	char **plugins;           /* plugin ids usable when billed here */
	size_t n_plugins;
	struct ora_provider_prefs provider; /* narrows the role's */
};

/* A budget attached to a name: an upstream key, or one user (overriding
 * the role's per-user budget). */
struct ora_named_budget {
	char *name;
	struct ora_budget budget;
};

enum ora_rule_kind {
	ORA_RULE_USER = 0, /* matches one user name */
	ORA_RULE_GROUP,    /* matches members of a group (primary or not) */
	ORA_RULE_EVERYONE, /* matches any caller: `everyone = true;` */
};

struct ora_rule {
	int line;          /* line of the rule in the file */
	enum ora_rule_kind kind;
	char *name;        /* user or group name; NULL for EVERYONE */
	const struct ora_role *role;
	/* Cost centres this rule grants; centres[0] is the default. */
	const struct ora_cost_centre **centres;
	size_t n_centres;
};

struct ora_daemon_conf {
	char *socket_path;
	char *socket_owner;   /* NULL: leave as created */
	char *socket_group;   /* NULL: leave as created */
	mode_t socket_mode;   /* default 0666: access is decided by policy */
	char *state_dir;
	char *master_key;
	char *user;           /* drop to this user when started as root */
	char *group;
	char *admin_group;    /* members may use admin endpoints; root always */
	char *log_level;
	long max_body_bytes;
	long max_header_bytes;
	long header_timeout;  /* seconds to receive a whole request */
	long request_timeout; /* seconds for a whole upstream exchange */
	long max_connections_per_uid;
	long max_connections; /* all users; 0: sized from RLIMIT_NOFILE */
	long body_timeout;    /* seconds to receive a whole body, from its head */
	long keepalive_timeout; /* seconds a kept-alive connection may sit idle */
	long max_pending_bytes_per_uid; /* held for unread requests; 0: 4 x max_body_bytes */
	long max_pending_bytes; /* the same, all users together */
	long shutdown_grace;  /* seconds SIGTERM waits for in-flight requests */
	int ledger;           /* record requests in state_dir/ledger.db (default 1) */
	int sandbox;          /* seccomp and Landlock after start-up (default 1) */
	/* Loopback TCP addresses served beside the socket ("127.0.0.1:8391",
	 * "[::1]:8391"); none by default. Callers are identified by the
	 * kernel (orad/tcpident.h); changed only by a restart. */
	char **listen;
	size_t n_listen;
};

/* A file named by the configuration and read with it, while orad can
 * still read anything (before it drops privileges and sandboxes itself):
 * its path, and its bytes. */
struct ora_conf_file {
	char *path;
	char *data;
	size_t len;
};

/* The largest file ora_conf_file holds: a CA bundle is a few hundred KB. */
#define ORA_CONF_FILE_MAX (1024 * 1024)

struct ora_upstream_conf {
	char *base_url;       /* without trailing slash, e.g. .../api/v1 */
	struct ora_conf_file ca_file; /* PEM certificates trusted for https
	                                 instead of the system's; path NULL:
	                                 the system's */
	long connect_timeout; /* seconds */
	long catalog_refresh; /* seconds between /models refreshes */
	char *referer;        /* HTTP-Referer; NULL: not sent */
	char *title;          /* X-OpenRouter-Title; NULL: not sent */
	enum ora_user_field user_field;
	char *user_prefix;    /* prepended to the user field, e.g. "example.org:" */
	long reconcile_give_up; /* seconds after which an unknown cost is
	                           settled at its reservation (default 86400) */
	long retries;           /* extra attempts after a retryable failure */
	long retry_deadline;    /* seconds: no retry starts later than this */
	long first_byte_timeout; /* seconds from sending to the first byte */
	long idle_timeout;      /* seconds without a byte once answering */
	long circuit_failures;  /* failures in a row that open the circuit */
	long circuit_cooldown;  /* seconds before a probe is let through */
	long max_in_flight;     /* upstream requests at once; more fail fast */
};

/* A short name for a model, e.g. fast = "openai/gpt-4o-mini". */
struct ora_alias {
	char *name;
	char *model;
	int line;
};

/* Where the ledger is (the ledger section): SQLite in state_dir, the
 * default, or a PostgreSQL database that the brokers of many hosts share. */
enum ora_ledger_backend_conf {
	ORA_LEDGER_CONF_SQLITE = 0,
	ORA_LEDGER_CONF_POSTGRESQL,
};

struct ora_ledger_conf {
	char *backend;      /* "sqlite" (default) or "postgresql", as written */
	enum ora_ledger_backend_conf kind;
	char *conninfo;     /* libpq connection string; never holds a password */
	char *host_name;    /* this host's name in shared rows; NULL: hostname */
	char *password_key; /* keystore name of the database password, or NULL */
	char *unavailable;  /* "refuse" (the default) or "allowance", as written */
	int allow;          /* unavailable = "allowance" */
	ora_pico allowance; /* what a host may admit per budget while the database is away */
};

struct ora_budgets_conf {
	char *timezone;       /* calendar periods; default "UTC" */
	struct ora_budget global;
	struct ora_named_budget *keys;   /* per upstream key */
	size_t n_keys;
	struct ora_named_budget *users;  /* per-user overrides */
	size_t n_users;
};

/* Site-wide admission settings (the `policy` section). */
struct ora_policy_conf {
	char **pass_fields; /* extra top-level request fields forwarded as is */
	size_t n_pass_fields;
};

struct ora_conf {
	char *path;
	unsigned long generation; /* set by the daemon on each successful load */
	char *contact;            /* whom to ask for access, shown in 403s */
	struct ora_daemon_conf daemon;
	struct ora_upstream_conf upstream;
	struct ora_budgets_conf budgets;
	struct ora_policy_conf policy;
	struct ora_ledger_conf ledger;
	struct ora_role *roles;
	size_t n_roles;
	struct ora_cost_centre *centres;
	size_t n_centres;
	struct ora_rule *rules;
	size_t n_rules;
	struct ora_alias *aliases;
	size_t n_aliases;
	int refcount;
};

/* Problems found while loading, each a complete line for a person:
 * "FILE:LINE: what is wrong; what to do". */
struct ora_diag {
	char **errors;
	size_t n_errors;
	char **warnings;
	size_t n_warnings;
};

/* Parse and validate path. On success *out holds a struct with refcount 1
 * and diag may hold warnings. On failure returns -1, *out is NULL and diag
 * holds every error found (not just the first). diag must be zeroed by the
 * caller and released with ora_diag_clear(). */
int ora_conf_load(const char *path, struct ora_conf **out, struct ora_diag *diag);

/* The same for text held in memory (the fuzzer, tests): name stands for the
 * file in messages; the file checks (owner, mode) do not apply, and an
 * @include is read relative to the working directory. */
int ora_conf_load_string(
    const char *name, const char *text, struct ora_conf **out, struct ora_diag *diag);

struct ora_conf *ora_conf_ref(struct ora_conf *conf);
void ora_conf_unref(struct ora_conf *conf);

const struct ora_role *ora_conf_find_role(const struct ora_conf *conf, const char *name);
const struct ora_cost_centre *ora_conf_find_centre(const struct ora_conf *conf, const char *name);

/* The model an alias stands for, or NULL if name is not an alias. */
const char *ora_conf_alias(const struct ora_conf *conf, const char *name);

/* The per-user budget that applies to user under role: the user's own
 * override if configured, else the role's (which may be unset). */
const struct ora_budget *ora_conf_user_budget(const struct ora_conf *conf,
    const struct ora_role *role, const char *user);

/* The budget of upstream key name, or NULL. */
const struct ora_budget *ora_conf_key_budget(const struct ora_conf *conf, const char *name);

void ora_diag_clear(struct ora_diag *diag);

#endif
