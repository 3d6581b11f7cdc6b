/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * http.c: one blocking libcurl request at a time, to orad's socket or to
 * the upstream.
 *
 * The only secret that passes through here is an upstream key for
 * `key check`. It goes into an Authorization header assembled in
 * sodium_malloc() memory (locked, guarded, wiped on free) and handed to
 * libcurl as a list node of our own, so that no copy is made by
 * curl_slist_append() in ordinary heap memory. (libcurl still copies the
 * header into its send buffer, as any HTTP client must.)
 */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <libconfig.h>
#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "config/conf.h"
#include "keys/keystore.h"
#include "oractl/http.h"
#include "oractl/oractl.h"

#define AUTH_PREFIX "Authorization: Bearer "

static int http_initialised;

static void
http_global_cleanup(void)
{
	curl_global_cleanup();
}

static int
http_init(struct ora_error *err)
{
	if (http_initialised)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return ora_error_set(err, "cannot initialise libcurl");
	http_initialised = 1;
	atexit(http_global_cleanup);
	return 0;
}

struct http_sink {
	struct oractl_http_reply *rp;
	size_t cap;
	int too_large;
};

static size_t
http_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_sink *s = arg;
	struct oractl_http_reply *rp = s->rp;
	size_t n = size * nmemb;

	if (rp->len + n > (size_t)ORACTL_HTTP_BODY_MAX) {
		s->too_large = 1;
		return 0; /* makes libcurl fail the transfer */
	}
	if (rp->len + n + 1 > s->cap) {
		size_t cap = s->cap == 0 ? 4096 : s->cap;
		while (cap < rp->len + n + 1)
			cap *= 2;
		rp->body = ora_xrealloc(rp->body, cap);
		s->cap = cap;
	}
	memcpy(rp->body + rp->len, data, n);
	rp->len += n;
	rp->body[rp->len] = '\0';
	return n;
}

void
oractl_http_reply_clear(struct oractl_http_reply *rp)
{
	if (rp == NULL)
		return;
	/* An upstream's answer about a key may quote part of it. */
	if (rp->body != NULL)
		sodium_memzero(rp->body, rp->len);
	free(rp->body);
	free(rp->content_type);
	memset(rp, 0, sizeof(*rp));
}

/* "Authorization: Bearer KEY" in locked memory, read-only once written. */
static char *
http_auth_header(const struct ora_secret *key, struct ora_error *err)
{
	size_t plen = strlen(AUTH_PREFIX), klen = ora_secret_len(key);
	char *h = sodium_malloc(plen + klen + 1);

	if (h == NULL) {
		ora_error_set(err, "cannot allocate locked memory for the key");
		return NULL;
	}
	memcpy(h, AUTH_PREFIX, plen);
	memcpy(h + plen, ora_secret_data(key), klen);
	h[plen + klen] = '\0';
	sodium_mprotect_readonly(h);
	return h;
}

/* What a failed connection to a Unix socket means for an admin. */
static void
http_socket_error(const char *path, long os_errno, const char *curl_msg, struct ora_error *err)
{
	struct stat st;

	if (stat(path, &st) != 0 && errno == ENOENT)
		ora_error_set(
		    err, "orad is not running: there is no socket at %s (daemon.socket)", path);
	else if (os_errno == ECONNREFUSED)
		ora_error_set(err, "orad is not running: nothing listens on %s", path);
	else if (os_errno == EACCES)
		ora_error_set(err,
		    "cannot connect to orad at %s: permission denied (check the socket's "
		    "daemon.socket_mode and daemon.socket_group)",
		    path);
	else
		ora_error_set(err, "cannot connect to orad at %s: %s", path, curl_msg);
}

int
oractl_http(
    const struct oractl_http_request *rq, struct oractl_http_reply *rp, struct ora_error *err)
{
	char errbuf[CURL_ERROR_SIZE] = "", *auth = NULL, *ctype = NULL;
	struct curl_slist auth_node = {NULL, NULL}, ctype_node = {NULL, NULL}, *headers = NULL;
	struct http_sink sink = {rp, 0, 0};
	long os_errno = 0;
	CURLcode code;
	CURL *e = NULL;
	int ret = -1;

	memset(rp, 0, sizeof(*rp));
	if (http_init(err) != 0)
		return -1;
	if ((e = curl_easy_init()) == NULL)
		return ora_error_set(err, "cannot create a libcurl handle");
	if (rq->body != NULL) {
		ctype_node.data = (char *)"Content-Type: application/json";
		headers = &ctype_node;
	}
	if (rq->bearer != NULL) {
		if ((auth = http_auth_header(rq->bearer, err)) == NULL)
			goto out;
		auth_node.data = auth;
		auth_node.next = headers;
		headers = &auth_node;
	}
	curl_easy_setopt(e, CURLOPT_URL, rq->url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, rq->timeout_s);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, rq->timeout_s);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "oractl/" PACKAGE_VERSION);
	/* A base_url of file:// or the like is a mistake, not a request. */
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	if (headers != NULL)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
	if (rq->unix_socket != NULL)
		curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, rq->unix_socket);
	if (strcmp(rq->method, "GET") != 0) {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, rq->body != NULL ? rq->body : "");
		curl_easy_setopt(
		    e, CURLOPT_POSTFIELDSIZE, rq->body != NULL ? (long)strlen(rq->body) : 0L);
		if (strcmp(rq->method, "POST") != 0)
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, rq->method);
	}

	code = curl_easy_perform(e);
	if (code != CURLE_OK) {
		curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &os_errno);
		if (sink.too_large)
			ora_error_set(err, "the answer from %s is larger than %ld bytes", rq->url,
			    ORACTL_HTTP_BODY_MAX);
		else if (rq->unix_socket != NULL && code == CURLE_COULDNT_CONNECT)
			http_socket_error(rq->unix_socket, os_errno,
			    errbuf[0] ? errbuf : curl_easy_strerror(code), err);
		else
			ora_error_set(
			    err, "%s: %s", rq->url, errbuf[0] ? errbuf : curl_easy_strerror(code));
		oractl_http_reply_clear(rp);
		goto out;
	}
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &rp->status);
	if (curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &ctype) == CURLE_OK && ctype != NULL)
		rp->content_type = ora_xstrdup(ctype);
	if (rp->body == NULL)
		rp->body = ora_xstrdup("");
	ret = 0;
out:
	curl_easy_cleanup(e);
	sodium_free(auth); /* wipes */
	return ret;
}

/* daemon.socket and daemon.admin_group from a file that does not load:
 * with an undefined role, say, it still names the socket of the orad that
 * runs, and orad's own verdict on the file is what `oractl reload` is for.
 * Only a file libconfig cannot parse at all leaves us without a socket. */
static int
orad_target_lenient(struct oractl *ctl, const struct ora_diag *diag, struct ora_error *err)
{
	char *dir = ora_xstrdup(ctl->conf_path), *slash = strrchr(dir, '/');
	const char *socket = ORA_DEFAULT_SOCKET_PATH, *group = NULL;
	config_t cfg;
	int ret = -1;

	config_init(&cfg);
	if (slash != NULL) {
		slash[slash == dir ? 1 : 0] = '\0';
		config_set_include_dir(&cfg, dir);
	}
	if (config_read_file(&cfg, ctl->conf_path) != CONFIG_TRUE) {
		for (size_t i = 0; i < diag->n_errors; i++)
			oractl_error("%s", diag->errors[i]);
		ora_error_set(err,
		    "cannot tell where orad listens: %s does not parse; fix it (`oractl check` "
		    "lists every problem) and try again",
		    ctl->conf_path);
		goto out;
	}
	config_lookup_string(&cfg, "daemon.socket", &socket);
	config_lookup_string(&cfg, "daemon.admin_group", &group);
	ctl->orad_socket = ora_xstrdup(socket);
	ctl->orad_admin_group = group != NULL ? ora_xstrdup(group) : NULL;
	ret = 0;
out:
	config_destroy(&cfg);
	free(dir);
	return ret;
}

/* Where orad listens: from the loaded configuration, else from the file
 * read leniently. */
static int
orad_target(struct oractl *ctl, struct ora_error *err)
{
	struct ora_diag diag = {NULL, 0, NULL, 0};
	int ret = 0;

	if (ctl->orad_socket != NULL)
		return 0;
	if (ctl->conf == NULL && ora_conf_load(ctl->conf_path, &ctl->conf, &diag) != 0)
		ret = orad_target_lenient(ctl, &diag, err);
	else {
		ctl->orad_socket = ora_xstrdup(ctl->conf->daemon.socket_path);
		if (ctl->conf->daemon.admin_group != NULL)
			ctl->orad_admin_group = ora_xstrdup(ctl->conf->daemon.admin_group);
	}
	ora_diag_clear(&diag);
	return ret;
}

int
oractl_orad(struct oractl *ctl, const char *method, const char *path, struct oractl_http_reply *rp,
    struct ora_error *err)
{
	struct oractl_http_request rq = {method, NULL, NULL, NULL, ORACTL_ORAD_TIMEOUT_S, NULL};
	char *url;
	int ret;

	memset(rp, 0, sizeof(*rp));
	if (orad_target(ctl, err) != 0)
		return -1;
	url = ora_xasprintf("http://localhost%s", path);
	rq.url = url;
	rq.unix_socket = ctl->orad_socket;
	ret = oractl_http(&rq, rp, err);
	free(url);
	return ret;
}

/* error.message of an OpenRouter-shaped error body, or NULL. */
static const char *
error_message(struct json_object *root)
{
	struct json_object *e, *m;

	if (root != NULL && json_object_object_get_ex(root, "error", &e) &&
	    json_object_object_get_ex(e, "message", &m) && json_object_is_type(m, json_type_string))
		return json_object_get_string(m);
	return NULL;
}

void
oractl_orad_fold(struct oractl *ctl)
{
	struct oractl_http_reply rp = {0};
	struct ora_error err;

	if (ctl->conf != NULL && ctl->conf->ledger.kind != ORA_LEDGER_CONF_SQLITE)
		return; /* PostgreSQL: orad writes through, nothing to fold */
	if (oractl_orad(ctl, "GET", "/api/v1/admin/status", &rp, &err) == 0)
		oractl_http_reply_clear(&rp);
}

const char *
oractl_orad_refusal(struct oractl *ctl, const struct oractl_http_reply *rp, char *buf, size_t size)
{
	struct json_object *root = json_tokener_parse(rp->body != NULL ? rp->body : "");
	const char *msg = error_message(root), *group = ctl->orad_admin_group;
	char said[ORA_ERROR_MAX];

	if (msg != NULL)
		snprintf(said, sizeof(said), "%s", msg);
	else if (rp->body != NULL && rp->body[0] != '\0')
		snprintf(said, sizeof(said), "%.200s", rp->body);
	else
		snprintf(said, sizeof(said), "HTTP status %ld", rp->status);

	if (rp->status == 403 && getuid() != 0 && group != NULL && group[0] != '\0')
		snprintf(buf, size,
		    "orad refused: you are not root or in group %s, the daemon.admin_group "
		    "(orad said: %s)",
		    group, said);
	else if (rp->status == 403 && getuid() != 0)
		snprintf(buf, size,
		    "orad refused: you are not root, and no daemon.admin_group is configured, so "
		    "only root may do this (orad said: %s)",
		    said);
	else
		snprintf(buf, size, "orad refused (HTTP %ld): %s", rp->status, said);
	json_object_put(root);
	return buf;
}
