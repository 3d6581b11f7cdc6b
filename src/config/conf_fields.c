/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * conf_fields.c: reading one section's settings by its table of fields.
 *
 * Kept apart from the sections themselves so that each kind of value (a
 * path, a mode, a key name, a list of model patterns) is checked the same
 * way wherever it appears, with one wording for its errors.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "config/conf.h"
#include "config/conf_internal.h"
#include "config/listen_addr.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Edit distance, for "did you mean"; names longer than the buffer are
 * simply never suggested. */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];

	if (la >= N_ELEMS(prev) || lb >= N_ELEMS(prev))
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof(prev[0]));
	}
	return prev[lb];
}

int
conf_unknown_setting(struct conf_loader *ld, const config_setting_t *s, const char *where,
    const struct conf_table *t)
{
	const struct conf_field *fields = t->fields;
	size_t n = t->n;
	const char *name = config_setting_name(s);
	int best = -1;
	size_t best_d = 3; /* at most two typos away */
	char list[512] = "";

	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(name, fields[i].name);
		if (d < best_d && d < strlen(fields[i].name)) {
			best_d = d;
			best = (int)i;
		}
	}
	if (best >= 0) {
		conf_diag(ld, CONF_ERROR, s, "unknown setting '%s' %s; did you mean '%s'?", name,
		    where, fields[best].name);
		return best;
	}
	/* Right name, wrong place: say where it belongs. */
	for (size_t k = 0; k < CONF_N_TABLES; k++) {
		const struct conf_table *other = &conf_tables[k];

		if (other == t)
			continue;
		for (size_t i = 0; i < other->n; i++) {
			if (strcmp(other->fields[i].name, name) == 0) {
				conf_diag(ld, CONF_ERROR, s,
				    "unknown setting '%s' %s; '%s' is %s: move it there", name,
				    where, name, other->what);
				return -1;
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(list);
		snprintf(list + len, sizeof(list) - len, "%s%s", i > 0 ? ", " : "", fields[i].name);
	}
	conf_diag(ld, CONF_ERROR, s, "unknown setting '%s' %s; the settings here are: %s", name,
	    where, list);
	return -1;
}

static const char *
type_name(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_GROUP:
		return "a group { ... }";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a number with a fraction";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "true or false";
	case CONFIG_TYPE_ARRAY:
		return "an array [ ... ]";
	case CONFIG_TYPE_LIST:
		return "a list ( ... )";
	default:
		return "nothing";
	}
}

static const char *
wanted_name(enum conf_field_type t)
{
	switch (t) {
	case F_LONG:
		return "an integer";
	case F_BOOL:
		return "true or false";
	case F_STRINGS:
	case F_LISTEN:
		return "an array of strings";
	case F_USD:
	case F_FRACTION:
		return "a number";
	case F_BUDGET:
	case F_KEY_BUDGETS:
	case F_USER_BUDGETS:
	case F_PROVIDER:
	case F_MAX_PRICE:
		return "a group { ... }";
	case F_PLUGINS:
	case F_FIELD_NAMES:
		return "an array of strings";
	default:
		return "a string in double quotes";
	}
}

/* Read a file of PEM certificates now, so that orad needs no access to
 * it once it has dropped privileges and sandboxed itself. Only a regular
 * file: a FIFO or a device would block the load or feed it forever. */
static void
read_pem_file(struct conf_loader *ld, const config_setting_t *s, const char *where,
    const struct conf_field *f, const char *path, void *slot)
{
	struct ora_conf_file *out = slot;
	struct stat st;
	char *data = NULL;
	size_t len = 0;
	ssize_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0 || fstat(fd, &st) != 0) {
		conf_diag(ld, CONF_ERROR, s,
		    "'%s' %s is '%s', which cannot be read: %s; give a file of PEM certificates, "
		    "or remove the setting to trust the system's",
		    f->name, where, path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		conf_diag(ld, CONF_ERROR, s,
		    "'%s' %s is '%s', which is not a regular file; give a file of PEM certificates",
		    f->name, where, path);
		goto out;
	}
	if (st.st_size > ORA_CONF_FILE_MAX) {
		conf_diag(ld, CONF_ERROR, s,
		    "'%s' %s: '%s' is larger than %d bytes; give only the certificates to trust",
		    f->name, where, path, ORA_CONF_FILE_MAX);
		goto out;
	}
	data = ora_xmalloc((size_t)st.st_size + 1);
	while (len < (size_t)st.st_size &&
	    ((n = read(fd, data + len, (size_t)st.st_size - len)) > 0 || (n < 0 && errno == EINTR)))
		len += n > 0 ? (size_t)n : 0;
	data[len] = '\0';
	if (len < (size_t)st.st_size) {
		conf_diag(ld, CONF_ERROR, s, "'%s' %s: reading '%s' failed: %s", f->name, where, path,
		    n < 0 ? strerror(errno) : "it shrank while being read");
		goto out;
	}
	if (strstr(data, "-----BEGIN CERTIFICATE-----") == NULL) {
		conf_diag(ld, CONF_ERROR, s,
		    "'%s' %s: '%s' holds no PEM certificate (-----BEGIN CERTIFICATE-----); give "
		    "the certificate authorities to trust, in PEM",
		    f->name, where, path);
		goto out;
	}
	free(out->path);
	free(out->data);
	out->path = ora_xstrdup(path);
	out->data = data;
	out->len = len;
	data = NULL;
out:
	if (fd >= 0)
		close(fd);
	free(data);
}

static int
valid_key_name(const char *s)
{
	size_t n = strlen(s);

	/* It becomes a file name under state_dir/keys: no '/', no "..". */
	if (n < 1 || n > 64 || s[0] == '.')
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

static int
parse_mode(const char *s, mode_t *out)
{
	size_t n = strlen(s);
	unsigned long v = 0;

	/* Only permission bits: setuid, setgid and sticky mean nothing on a
	 * socket and suggest a mistake. */
	if (n < 3 || n > 4 || strspn(s, "01234567") != n)
		return -1;
	for (size_t i = 0; i < n; i++)
		v = v * 8 + (unsigned long)(s[i] - '0');
	if (v > 0777)
		return -1;
	*out = (mode_t)v;
	return 0;
}

static int
parse_user_field(const char *s, enum ora_user_field *out)
{
	static const char *const names[] = {"name", "uid", "hash", "none"};

	for (size_t i = 0; i < N_ELEMS(names); i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum ora_user_field)i;
			return 0;
		}
	}
	return -1;
}

static void
parse_url(struct conf_loader *ld, const config_setting_t *s, const char *v, char **slot)
{
	size_t n = strlen(v);
	const char *host;

	if (strncmp(v, "https://", 8) == 0)
		host = v + 8;
	else if (strncmp(v, "http://", 7) == 0)
		host = v + 7;
	else {
		conf_diag(ld, CONF_ERROR, s,
		    "base_url '%s' is not an http:// or https:// URL; write e.g. base_url = "
		    "\"%s\";",
		    v, ORA_DEFAULT_UPSTREAM);
		return;
	}
	if (*host == '\0' || *host == '/') {
		conf_diag(ld, CONF_ERROR, s,
		    "base_url '%s' names no host; write e.g. base_url = \"%s\";", v,
		    ORA_DEFAULT_UPSTREAM);
		return;
	}
	/* The key goes into the Authorization header of every request. */
	if (host == v + 7 && strncmp(host, "127.", 4) != 0 && strncmp(host, "localhost", 9) != 0 &&
	    strncmp(host, "[::1]", 5) != 0)
		conf_diag(ld, CONF_WARNING, s,
		    "base_url '%s' is plain http to another host: upstream keys would cross the "
		    "network unencrypted; use https://",
		    v);
	/* Paths are appended as "/chat/completions". */
	while (n > 0 && v[n - 1] == '/')
		n--;
	free(*slot);
	*slot = ora_xasprintf("%.*s", (int)n, v);
}

static void
parse_strings(struct conf_loader *ld, const config_setting_t *s, const char *where,
    const struct conf_field *f, void *target)
{
	char ***slot = (char ***)((char *)target + f->offset);
	size_t *count = (size_t *)((char *)target + f->count_offset);
	int n = config_setting_length(s);

	if (n == 0) {
		conf_diag(ld, CONF_ERROR, s,
		    "'%s' %s is empty; list at least one, e.g. %s = %s;%s%s", f->name, where,
		    f->name, f->example, f->note ? " " : "", f->note ? f->note : "");
		return;
	}
	*slot = ora_xcalloc((size_t)n, sizeof(char *));
	*count = (size_t)n;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *v = config_setting_get_string(e);

		if (v == NULL || *v == '\0') {
			conf_diag(ld, CONF_ERROR, e,
			    "element %d of '%s' %s must be a non-empty string; e.g. %s = %s;",
			    i + 1, f->name, where, f->name, f->example);
			(*slot)[i] = ora_xstrdup("");
		} else
			(*slot)[i] = ora_xstrdup(v);
	}
}

/* daemon.listen: strings, each a loopback address, none twice. A
 * non-loopback address is an error here so that `orad -t` and `oractl
 * check` refuse it before orad would try to bind it. */
static void
parse_listen(struct conf_loader *ld, const config_setting_t *s, const char *where,
    const struct conf_field *f, void *target)
{
	char **v;
	size_t n;

	if (config_setting_length(s) > ORA_LISTEN_MAX) {
		conf_diag(ld, CONF_ERROR, s, "'%s' %s lists %d addresses; at most %d are served",
		    f->name, where, config_setting_length(s), ORA_LISTEN_MAX);
		return;
	}
	parse_strings(ld, s, where, f, target);
	v = *(char ***)((char *)target + f->offset);
	n = *(size_t *)((char *)target + f->count_offset);
	for (size_t i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		struct sockaddr_storage a, b;
		socklen_t alen, blen;
		struct ora_error err;

		if (v[i][0] == '\0')
			continue; /* already reported */
		if (ora_listen_addr_parse(v[i], &a, &alen, &err) != 0) {
			conf_diag(ld, CONF_ERROR, e, "%s", err.msg);
			continue;
		}
		for (size_t j = 0; j < i; j++)
			if (ora_listen_addr_parse(v[j], &b, &blen, &err) == 0 && alen == blen &&
			    memcmp(&a, &b, alen) == 0)
				conf_diag(ld, CONF_ERROR, e,
				    "%s: \"%s\" is listed twice (as element %zu and %zu); list each "
				    "address once",
				    ORA_LISTEN_SETTING, v[i], j + 1, i + 1);
	}
}

void
conf_parse_value(struct conf_loader *ld, const config_setting_t *s, const char *where,
    const struct conf_field *f, void *target)
{
	void *slot = (char *)target + f->offset;
	int type = config_setting_type(s);
	const char *v = NULL;
	int type_ok;

	switch (f->type) {
	case F_LONG:
		type_ok = type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64;
		break;
	case F_BOOL:
		type_ok = type == CONFIG_TYPE_BOOL;
		break;
	case F_STRINGS:
	case F_LISTEN:
		type_ok = type == CONFIG_TYPE_ARRAY || type == CONFIG_TYPE_LIST;
		break;
	case F_USD:
	case F_FRACTION:
		type_ok = type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64 ||
		          type == CONFIG_TYPE_FLOAT;
		break;
	case F_BUDGET:
	case F_KEY_BUDGETS:
	case F_USER_BUDGETS:
	case F_PROVIDER:
	case F_MAX_PRICE:
		type_ok = type == CONFIG_TYPE_GROUP;
		break;
	case F_PLUGINS:
	case F_FIELD_NAMES:
		type_ok = type == CONFIG_TYPE_ARRAY || type == CONFIG_TYPE_LIST;
		break;
	default:
		type_ok = type == CONFIG_TYPE_STRING;
		break;
	}
	if (!type_ok) {
		conf_diag(ld, CONF_ERROR, s, "'%s' %s must be %s, not %s; write e.g. %s = %s;",
		    f->name, where, wanted_name(f->type), type_name(s), f->name, f->example);
		return;
	}
	if (f->type == F_LONG) {
		long long x = config_setting_get_int64(s);
		if (x < f->min || x > (long long)LONG_MAX) {
			conf_diag(ld, CONF_ERROR, s,
			    "'%s' %s is %lld, but it must be %s; e.g. %s = %s;%s%s%s", f->name,
			    where, x, f->min > 0 ? "greater than 0" : "0 or more", f->name,
			    f->example, f->note ? " (" : "", f->note ? f->note : "",
			    f->note ? ")" : "");
			return;
		}
		*(long *)slot = (long)x;
		return;
	}
	if (f->type == F_BOOL) {
		*(int *)slot = config_setting_get_bool(s);
		return;
	}
	if (f->type == F_STRINGS) {
		parse_strings(ld, s, where, f, target);
		return;
	}
	if (f->type == F_LISTEN) {
		parse_listen(ld, s, where, f, target);
		return;
	}
	if (f->type >= F_USD && f->type <= F_USER_BUDGETS) {
		conf_parse_budget_value(ld, s, where, f, target);
		return;
	}
	if (f->type >= F_PLUGINS && f->type <= F_MAX_PRICE) {
		conf_parse_policy_value(ld, s, where, f, target);
		return;
	}
	v = config_setting_get_string(s);
	if (*v == '\0') {
		conf_diag(ld, CONF_ERROR, s,
		    "'%s' %s is empty; give a value, e.g. %s = %s;, or remove the setting", f->name,
		    where, f->name, f->example);
		return;
	}
	switch (f->type) {
	case F_PEM_FILE:
		if (v[0] == '/')
			read_pem_file(ld, s, where, f, v, slot);
		else
			conf_diag(ld, CONF_ERROR, s,
			    "'%s' %s is '%s', a relative path; write an absolute one, e.g. %s = "
			    "%s;",
			    f->name, where, v, f->name, f->example);
		return;
	case F_PATH:
	case F_SOCKET:
		if (v[0] != '/') {
			conf_diag(ld, CONF_ERROR, s,
			    "'%s' %s is '%s', a relative path; write an absolute one, e.g. %s = "
			    "%s;",
			    f->name, where, v, f->name, f->example);
			return;
		}
		if (f->type == F_SOCKET &&
		    strlen(v) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			conf_diag(ld, CONF_ERROR, s,
			    "'%s' %s is %zu bytes long; a Unix socket path must be shorter than "
			    "%zu: choose a shorter one",
			    f->name, where, strlen(v), sizeof(((struct sockaddr_un *)0)->sun_path));
			return;
		}
		break;
	case F_NAME:
		/* Directory names may hold spaces ("domain users"), but never a
		 * comma or a control character: those are a list written as one
		 * name, or a stray escape. */
		if (strpbrk(v, ",\t\n\r") != NULL) {
			conf_diag(ld, CONF_ERROR, s,
			    "'%s' %s is '%s', which cannot be a user or group name; name one, e.g. "
			    "%s = %s; (a rule matches one user or group: write one rule for each)",
			    f->name, where, v, f->name, f->example);
			return;
		}
		break;
	case F_MODE:
		if (parse_mode(v, (mode_t *)slot) != 0)
			conf_diag(ld, CONF_ERROR, s,
			    "socket_mode '%s' %s is not an octal permission mode; write three or "
			    "four octal digits up to 0777, e.g. socket_mode = \"0660\";",
			    v, where);
		return;
	case F_LOG_LEVEL: {
		enum ora_log_level level;
		if (ora_log_level_parse(v, &level) != 0) {
			conf_diag(ld, CONF_ERROR, s,
			    "log_level '%s' %s is not a level; use one of error, warning, info or "
			    "debug",
			    v, where);
			return;
		}
		break;
	}
	case F_USER_FIELD:
		if (parse_user_field(v, (enum ora_user_field *)slot) != 0)
			conf_diag(ld, CONF_ERROR, s,
			    "user_field '%s' %s is not known; use one of name, uid, hash or none",
			    v, where);
		return;
	case F_URL:
		parse_url(ld, s, v, (char **)slot);
		return;
	case F_KEY_NAME:
		if (!valid_key_name(v)) {
			conf_diag(ld, CONF_ERROR, s,
			    "key '%s' %s is not a valid key name; use 1 to 64 letters, digits, "
			    "'_', "
			    "'.' or '-', not starting with '.', as given to `oractl key add NAME`",
			    v, where);
			return;
		}
		break;
	case F_MODEL:
		if (strpbrk(v, "*?[") != NULL) {
			conf_diag(ld, CONF_ERROR, s,
			    "%s '%s' %s is a pattern; it must name one model, e.g. %s = %s;",
			    f->name, v, where, f->name, f->example);
			return;
		}
		break;
	default:
		break;
	}
	free(*(char **)slot);
	*(char **)slot = ora_xstrdup(v);
}

unsigned
conf_parse_fields(struct conf_loader *ld, const config_setting_t *group, const char *where,
    const struct conf_table *t, void *target)
{
	const struct conf_field *fields = t->fields;
	size_t n = t->n;
	unsigned seen = 0;
	int len = config_setting_length(group);

	for (int i = 0; i < len; i++) {
		const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(s);
		size_t k;

		for (k = 0; k < n; k++) {
			if (strcmp(fields[k].name, name) == 0)
				break;
		}
		if (k == n) {
			/* A near miss counts as the field it was meant to be,
			 * so "did you mean" is not followed by "missing". */
			int meant = conf_unknown_setting(ld, s, where, t);
			if (meant >= 0)
				seen |= 1u << meant;
			continue;
		}
		seen |= 1u << k;
		conf_parse_value(ld, s, where, &fields[k], target);
	}
	return seen;
}

int
conf_want_type(struct conf_loader *ld, const config_setting_t *s, int type, const char *what,
    const char *example)
{
	if (config_setting_type(s) == type)
		return 0;
	conf_diag(ld, CONF_ERROR, s, "%s must be %s, not %s; write it as %s", what,
	    type == CONFIG_TYPE_LIST ? "a list ( ... )" : "a group { ... }", type_name(s), example);
	return -1;
}
