/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * http.h: oractl's HTTP, through libcurl: to orad over its Unix socket
 * (the admin API, /api/v1/usage), and straight to the upstream (the model
 * catalog for `check`, GET /key for `key check`).
 *
 * One blocking request at a time: oractl is a command, not a server.
 */
#ifndef ORACTL_HTTP_H
#define ORACTL_HTTP_H

#include <stddef.h>

#include "common/util.h"

struct oractl;
struct ora_secret;

/* The longest answer read: OpenRouter's whole catalog is a few MiB. */
#define ORACTL_HTTP_BODY_MAX (64L * 1024 * 1024)
/* Direct requests to the upstream (catalog, GET /key). */
#define ORACTL_UPSTREAM_TIMEOUT_S 10L
/* Requests to orad; a reload opens every key again, which is quick, but a
 * loaded broker may take a moment to get to us. */
#define ORACTL_ORAD_TIMEOUT_S 30L

struct oractl_http_request {
	const char *method; /* "GET", "POST", "PATCH" or "DELETE" */
	const char *url;
	const char *unix_socket;         /* connect here instead of the URL's host; NULL: TCP */
	const struct ora_secret *bearer; /* upstream key sent as "Authorization: Bearer",
	                                    or NULL */
	long timeout_s;
	const char *body; /* JSON sent with Content-Type: application/json, or NULL
	                     (an empty body); never secret */
};

struct oractl_http_reply {
	long status; /* HTTP status; 0 before an answer */
	char *body;  /* NUL-terminated; never NULL after success */
	size_t len;
	char *content_type; /* or NULL */
};

/* Perform one request. Returns 0 when an answer came (whatever its status),
 * -1 with err when none did (cannot connect, timeout, too large). The
 * Authorization header, when there is one, is built in locked memory that
 * is wiped when the request ends, and is never sent on a redirect (none is
 * followed). */
int oractl_http(
    const struct oractl_http_request *rq, struct oractl_http_reply *rp, struct ora_error *err);

/* Wipe and free what a reply holds; safe on a zeroed reply. */
void oractl_http_reply_clear(struct oractl_http_reply *rp);

/*
 * orad's API over its socket (daemon.socket of the loaded configuration).
 */

/* Call METHOD path on orad. Returns 0 with the answer in rp (any status);
 * -1 when orad cannot be reached, with err saying so in words ("orad is not
 * running: no socket at ..."). The socket is daemon.socket of the loaded
 * configuration; when none is loaded, the file is loaded, and if it has
 * errors its daemon.socket is still used if the file parses (so that
 * `oractl reload` of a broken file gets orad's own refusal). */
int oractl_orad(struct oractl *ctl, const char *method, const char *path,
    struct oractl_http_reply *rp, struct ora_error *err);

/* A running broker writes through its intent log and folds it into the
 * SQLite ledger within a second; asked for its status, it folds at once.
 * Commands that read the ledger file call this first, so that what they
 * read includes a request that ended a moment ago. Best effort: a broker
 * that is not running has nothing unfolded that it could fold, and one
 * that refuses (the caller is not an administrator) leaves the file as it
 * is. */
void oractl_orad_fold(struct oractl *ctl);

/* The message of an error answer from orad (its error.message, else the
 * body, else the status), for a person: a 403 says who may do this
 * ("orad refused: you are not root or in group ora-admins"). Writes into
 * buf and returns it. */
const char *oractl_orad_refusal(
    struct oractl *ctl, const struct oractl_http_reply *rp, char *buf, size_t size);

/* Ask orad to reload its configuration and keys (POST
 * /api/v1/admin/reload), printing the new generation and any warnings, or
 * why it was refused. Returns 0 when orad reloaded, -1 when it refused or
 * failed (said on standard error), 1 when orad cannot be reached (err says
 * why; nothing printed). */
int oractl_reload(struct oractl *ctl, struct ora_error *unreachable);

#endif
