/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * settings_libconfig.h: the libconfig functions settings.c calls, found
 * at run time.
 *
 * Most runs of orask have no orask.conf to read, yet a program linked
 * with libconfig maps and relocates it at every start (libconfig's
 * segments are 2 MiB aligned: one more mmap and munmap pair each time).
 * So, like SQLite (history_sqlite.h) and cmark (markdown_cmark.h), the
 * library is dlopen()ed when an orask.conf is found; settings.c includes
 * this header after <libconfig.h> and its calls go through the table
 * unchanged. (The accessors libconfig.h defines as macros need nothing.)
 */
#ifndef ORA_ORASK_SETTINGS_LIBCONFIG_H
#define ORA_ORASK_SETTINGS_LIBCONFIG_H

#include <stddef.h>
#include <stdio.h>

#include <libconfig.h>

/* The package orad's own dependency brings (libconfig9). */
#define ORASK_LIBCONFIG_SONAME "libconfig.so.9"

#define ORASK_LIBCONFIG_FUNCTIONS(X)                                                               \
	X(destroy, void, (config_t *))                                                             \
	X(init, void, (config_t *))                                                                \
	X(read, int, (config_t *, FILE *))                                                         \
	X(setting_get_elem, config_setting_t *, (const config_setting_t *, unsigned int))          \
	X(setting_get_float, double, (const config_setting_t *))                                   \
	X(setting_get_int, int, (const config_setting_t *))                                        \
	X(setting_get_int64, long long, (const config_setting_t *))                                \
	X(setting_get_member, config_setting_t *, (const config_setting_t *, const char *))        \
	X(setting_get_string, const char *, (const config_setting_t *))                            \
	X(setting_length, int, (const config_setting_t *))

#define ORASK_LIBCONFIG_FIELD(name, ret, args) ret(*name) args;
struct orask_libconfig {
	ORASK_LIBCONFIG_FUNCTIONS(ORASK_LIBCONFIG_FIELD)
};
#undef ORASK_LIBCONFIG_FIELD

extern struct orask_libconfig orask_libconfig;

/* Load the library once; -1 with a sentence in msg when it cannot be. */
int orask_libconfig_load(char *msg, size_t size);

#define config_destroy orask_libconfig.destroy
#define config_init orask_libconfig.init
#define config_read orask_libconfig.read
#define config_setting_get_elem orask_libconfig.setting_get_elem
#define config_setting_get_float orask_libconfig.setting_get_float
#define config_setting_get_int orask_libconfig.setting_get_int
#define config_setting_get_int64 orask_libconfig.setting_get_int64
#define config_setting_get_member orask_libconfig.setting_get_member
#define config_setting_get_string orask_libconfig.setting_get_string
#define config_setting_length orask_libconfig.setting_length

#endif
