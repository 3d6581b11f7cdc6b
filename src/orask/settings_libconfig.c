/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * settings_libconfig.c: libconfig, loaded when an orask.conf is found
 * (settings_libconfig.h says why).
 */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>

#include "orask/settings_libconfig.h"

struct orask_libconfig orask_libconfig;

int
orask_libconfig_load(char *msg, size_t size)
{
	static int loaded;
	void *lib;

	if (loaded)
		return 0;
	if ((lib = dlopen(ORASK_LIBCONFIG_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(msg, size,
		    "reading orask.conf needs libconfig (%s, the libconfig9 package): %s",
		    ORASK_LIBCONFIG_SONAME, dlerror());
		return -1;
	}
#define ORASK_LIBCONFIG_LOOKUP(name, ret, args)                                                    \
	if ((*(void **)&orask_libconfig.name = dlsym(lib, "config_" #name)) == NULL) {             \
		snprintf(msg, size, "%s lacks config_%s", ORASK_LIBCONFIG_SONAME, #name);          \
		return -1;                                                                         \
	}
	ORASK_LIBCONFIG_FUNCTIONS(ORASK_LIBCONFIG_LOOKUP)
#undef ORASK_LIBCONFIG_LOOKUP
	/* Never closed: the settings point into its memory until orask ends. */
	loaded = 1;
	return 0;
}
