/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * settings.c: reading orask.conf (settings.h has the format and the
 * rules).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "orask/settings.h"
#include "orask/settings_libconfig.h"

#define KEEP_LIMIT 100000000L /* days or conversations: past this, a typo */
#define TEMPLATE_MAX_TOKENS 10000000L

static int say(char *msg, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
say(char *msg, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, size, fmt, ap);
	va_end(ap);
	return -1;
}

char *
orask_settings_path(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	struct passwd *pw;

	if (xdg != NULL && xdg[0] == '/')
		return ora_xasprintf("%s/ora/orask.conf", xdg);
	if ((home == NULL || home[0] != '/') && (pw = getpwuid(getuid())) != NULL)
		home = pw->pw_dir;
	if (home == NULL || home[0] != '/')
		return NULL;
	return ora_xasprintf("%s/.config/ora/orask.conf", home);
}

/* Whether name is one of the NULL-terminated names. */
static int
one_of(const char *name, const char *const *names)
{
	for (; *names != NULL; names++)
		if (strcmp(name, *names) == 0)
			return 1;
	return 0;
}

/* Every member of group is one of names; else a sentence naming it. */
static int
only_known(const config_setting_t *group, const char *const *names, const char *path, char *msg,
    size_t size)
{
	config_setting_t *m;
	int i;

	for (i = 0; (m = config_setting_get_elem(group, (unsigned)i)) != NULL; i++)
		if (config_setting_name(m) != NULL && !one_of(config_setting_name(m), names))
			return say(msg, size, "%s:%d: unknown setting '%s'", path,
			    config_setting_source_line(m), config_setting_name(m));
	return 0;
}

static int
get_string(const config_setting_t *group, const char *name, const char **out, const char *path,
    char *msg, size_t size)
{
	config_setting_t *m = config_setting_get_member(group, name);

	if (m == NULL)
		return 0;
	if (config_setting_type(m) != CONFIG_TYPE_STRING)
		return say(msg, size, "%s:%d: %s must be a string in double quotes", path,
		    config_setting_source_line(m), name);
	*out = config_setting_get_string(m);
	return 0;
}

static int
get_long(const config_setting_t *group, const char *name, long min, long max, long *out,
    const char *path, char *msg, size_t size)
{
	config_setting_t *m = config_setting_get_member(group, name);
	long long v;

	if (m == NULL)
		return 0;
	if (config_setting_type(m) != CONFIG_TYPE_INT &&
	    config_setting_type(m) != CONFIG_TYPE_INT64)
		return say(msg, size, "%s:%d: %s must be a whole number", path,
		    config_setting_source_line(m), name);
	v = config_setting_get_int64(m);
	if (v < min || v > max)
		return say(msg, size, "%s:%d: %s must be from %ld to %ld", path,
		    config_setting_source_line(m), name, min, max);
	*out = (long)v;
	return 0;
}

static int
load_template(
    config_setting_t *t, struct orask_template *out, const char *path, char *msg, size_t size)
{
	static const char *const names[] = {
	    "model", "system", "cost_centre", "temperature", "max_tokens", NULL};
	config_setting_t *m;

	memset(out, 0, sizeof(*out));
	out->name = config_setting_name(t);
	if (!config_setting_is_group(t))
		return say(msg, size,
		    "%s:%d: template %s must be a group: %s = { system = \"...\"; };", path,
		    config_setting_source_line(t), out->name, out->name);
	if (only_known(t, names, path, msg, size) != 0 ||
	    get_string(t, "model", &out->model, path, msg, size) != 0 ||
	    get_string(t, "system", &out->system, path, msg, size) != 0 ||
	    get_string(t, "cost_centre", &out->cost_centre, path, msg, size) != 0 ||
	    get_long(t, "max_tokens", 1, TEMPLATE_MAX_TOKENS, &out->max_tokens, path, msg, size) !=
	        0)
		return -1;
	if ((m = config_setting_get_member(t, "temperature")) != NULL) {
		if (config_setting_type(m) == CONFIG_TYPE_FLOAT)
			out->temperature = config_setting_get_float(m);
		else if (config_setting_type(m) == CONFIG_TYPE_INT)
			out->temperature = config_setting_get_int(m);
		else
			out->temperature = -1;
		if (!(out->temperature >= 0 && out->temperature <= 2))
			return say(msg, size, "%s:%d: temperature must be a number from 0 to 2",
			    path, config_setting_source_line(m));
		out->has_temperature = 1;
	}
	return 0;
}

/* The file steers spending: it must be the caller's, and no one else's to
 * change. Checked on the descriptor libconfig then reads through. */
static int
open_checked(const char *path, FILE **out, char *msg, size_t size)
{
	struct stat st;
	int fd;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		/* EACCES: a HOME that is someone else's (sudo without -H),
		 * whose settings are not ours to apply anyway. */
		if (errno == ENOENT || errno == ENOTDIR || errno == EACCES)
			return 0;
		return say(msg, size, "cannot read %s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return say(msg, size, "%s is not a regular file", path);
	}
	if (st.st_uid != getuid() || (st.st_mode & 022) != 0) {
		close(fd);
		return say(msg, size,
		    "%s may be changed by others (owner uid %ld, mode %04o), and it says which "
		    "model and cost centre you spend on: run chmod go-w '%s'",
		    path, (long)st.st_uid, (unsigned)(st.st_mode & 07777), path);
	}
	if ((*out = fdopen(fd, "r")) == NULL) {
		close(fd);
		return say(msg, size, "cannot read %s: %s", path, strerror(errno));
	}
	return 0;
}

static int
load_root(config_t *cfg, struct orask_settings *s, const char *path, char *msg, size_t size)
{
	static const char *const names[] = {
	    "model", "system", "cost_centre", "color", "markdown", "history", "templates", NULL};
	static const char *const history_names[] = {"max_days", "max_conversations", NULL};
	config_setting_t *root = config_root_setting(cfg), *g, *t;
	const char *color = NULL, *markdown = NULL;
	int i;

	if (only_known(root, names, path, msg, size) != 0 ||
	    get_string(root, "model", &s->model, path, msg, size) != 0 ||
	    get_string(root, "system", &s->system, path, msg, size) != 0 ||
	    get_string(root, "cost_centre", &s->cost_centre, path, msg, size) != 0 ||
	    get_string(root, "color", &color, path, msg, size) != 0 ||
	    get_string(root, "markdown", &markdown, path, msg, size) != 0)
		return -1;
	if (markdown != NULL && strcmp(markdown, "auto") != 0 && strcmp(markdown, "never") != 0)
		return say(msg, size, "%s: markdown must be \"auto\" or \"never\", not \"%s\"",
		    path, markdown);
	s->markdown_never = markdown != NULL && strcmp(markdown, "never") == 0;
	if (color != NULL) {
		if (strcmp(color, "auto") == 0)
			s->color = ORASK_COLOR_AUTO;
		else if (strcmp(color, "always") == 0)
			s->color = ORASK_COLOR_ALWAYS;
		else if (strcmp(color, "never") == 0)
			s->color = ORASK_COLOR_NEVER;
		else
			return say(msg, size,
			    "%s: color must be \"auto\", \"always\" or \"never\", not "
			    "\"%s\"",
			    path, color);
	}
	if ((g = config_setting_get_member(root, "history")) != NULL &&
	    (!config_setting_is_group(g) || only_known(g, history_names, path, msg, size) != 0 ||
	        get_long(g, "max_days", 0, KEEP_LIMIT, &s->keep_days, path, msg, size) != 0 ||
	        get_long(g, "max_conversations", 0, KEEP_LIMIT, &s->keep_conversations, path, msg,
	            size) != 0))
		return msg[0] != '\0' ? -1
		                      : say(msg, size,
		                            "%s: history must be a group: history = "
		                            "{ max_days = 365; };",
		                            path);
	if ((g = config_setting_get_member(root, "templates")) == NULL)
		return 0;
	if (!config_setting_is_group(g))
		return say(msg, size,
		    "%s:%d: templates must be a group: templates = { NAME = { ... }; };", path,
		    config_setting_source_line(g));
	s->n_templates = (size_t)config_setting_length(g);
	s->templates = ora_xcalloc(s->n_templates + 1, sizeof(*s->templates));
	for (i = 0; (t = config_setting_get_elem(g, (unsigned)i)) != NULL; i++)
		if (load_template(t, &s->templates[i], path, msg, size) != 0)
			return -1;
	return 0;
}

int
orask_settings_load(const char *path, struct orask_settings *s, char *msg, size_t size)
{
	config_t *cfg;
	FILE *f;

	memset(s, 0, sizeof(*s));
	msg[0] = '\0';
	s->path = ora_xstrdup(path);
	if (open_checked(path, &f, msg, size) != 0)
		return -1;
	if (f == NULL)
		return 0;
	s->found = 1;
	if (orask_libconfig_load(msg, size) != 0) {
		fclose(f);
		return -1;
	}
	cfg = ora_xcalloc(1, sizeof(*cfg));
	config_init(cfg);
	s->cfg = cfg;
	if (config_read(cfg, f) != CONFIG_TRUE) {
		fclose(f);
		return say(
		    msg, size, "%s:%d: %s", path, config_error_line(cfg), config_error_text(cfg));
	}
	fclose(f);
	return load_root(cfg, s, path, msg, size);
}

void
orask_settings_free(struct orask_settings *s)
{
	if (s->cfg != NULL) {
		config_destroy(s->cfg);
		free(s->cfg);
	}
	free(s->templates);
	free(s->path);
	memset(s, 0, sizeof(*s));
}

const struct orask_template *
orask_settings_template(const struct orask_settings *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n_templates; i++)
		if (strcmp(s->templates[i].name, name) == 0)
			return &s->templates[i];
	return NULL;
}
