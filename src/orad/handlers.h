/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * handlers.h: one function per API endpoint. Each is given an identified,
 * authorised caller and owns answering the request.
 */
#ifndef ORAD_HANDLERS_H
#define ORAD_HANDLERS_H

struct http_req;
struct orad;
struct orad_caller;
struct orad_wire;

/* POST to a wire shape's path (wire.h: /api/v1/chat/completions,
 * /api/v1/messages, /api/v1/responses and their /v1 aliases): admission,
 * then the exchange. Takes over *caller (clears it). */
void chat_handle(struct orad *d, const struct orad_wire *wire, struct http_req *req,
    struct orad_caller *caller);

/* GET /api/v1/models: the catalog filtered to what the caller may use. */
void info_models(struct orad *d, struct http_req *req, const struct orad_caller *caller);

/* GET /api/v1/me: who the broker thinks you are and what you may do. */
void info_me(struct orad *d, struct http_req *req, const struct orad_caller *caller);

/* GET /api/v1/usage[?user=NAME]: budgets with spent, reserved, remaining
 * and reset time; other users only for admins. */
void info_usage(struct orad *d, struct http_req *req, const struct orad_caller *caller);

/* GET /api/v1/generation?id=ID: the caller's own ledger row for a
 * generation (cost, tokens, model), in OpenRouter's /generation shape; 404
 * for none of theirs, or while its cost is not settled yet. */
void info_generation(struct orad *d, struct http_req *req, const struct orad_caller *caller);

/* Admin endpoints (root or daemon.admin_group only). */
void admin_reload(struct orad *d, struct http_req *req, const struct orad_caller *caller);
void admin_status(struct orad *d, struct http_req *req, const struct orad_caller *caller);
void admin_metrics(struct orad *d, struct http_req *req, const struct orad_caller *caller);

/* Whether the caller may use admin endpoints and see others' usage. */
int caller_is_admin(const struct orad_caller *caller);

#endif
