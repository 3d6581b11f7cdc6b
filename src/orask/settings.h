/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * settings.h: the user's own defaults for orask, in
 * $XDG_CONFIG_HOME/ora/orask.conf (default ~/.config/ora/orask.conf), in
 * the libconfig syntax of orad's configuration:
 *
 *   model = "openai/gpt-4o-mini";      # when neither -m nor a conversation says
 *   system = "Answer briefly.";        # likewise, for -s
 *   cost_centre = "dev";               # when -e is not given
 *   color = "auto";                    # "auto", "always" or "never"
 *   markdown = "auto";                 # "auto" (on a terminal) or "never"
 *   history = { max_days = 0; max_conversations = 0; };  # 0: keep all
 *   templates = {
 *     review = { system = "Review this diff."; model = "..."; temperature = 0.2;
 *                max_tokens = 800; cost_centre = "dev"; };
 *   };
 *
 * Every setting is optional; an unknown one is an error (a typo must not
 * be ignored silently). The command line wins over a template (-T), which
 * wins over the defaults. The file steers where money goes (model, cost
 * centre): it is refused when someone else owns it or may write to it.
 */
#ifndef ORA_ORASK_SETTINGS_H
#define ORA_ORASK_SETTINGS_H

#include <stddef.h>

struct orask_template {
	const char *name;
	const char *model, *system, *cost_centre; /* NULL: not set */
	double temperature;
	int has_temperature;
	long max_tokens; /* 0: not set */
};

enum orask_color { ORASK_COLOR_AUTO = 0, ORASK_COLOR_ALWAYS, ORASK_COLOR_NEVER };

struct orask_settings {
	char *path; /* the file read, or that would be */
	int found;
	const char *model, *system, *cost_centre;
	enum orask_color color;
	int markdown_never; /* markdown = "never" (default "auto") */
	long keep_days, keep_conversations;
	struct orask_template *templates;
	size_t n_templates;
	void *cfg; /* libconfig's, which owns the strings */
};

/* The settings file's path: malloc'd, or NULL without a home. */
char *orask_settings_path(void);

/* Read path (a missing file is no settings) into s. Returns 0, or -1 with
 * one sentence in msg (the file, the line, what is wrong). */
int orask_settings_load(const char *path, struct orask_settings *s, char *msg, size_t size);
void orask_settings_free(struct orask_settings *s);

/* Template name, or NULL. */
const struct orask_template *orask_settings_template(
    const struct orask_settings *s, const char *name);

#endif
