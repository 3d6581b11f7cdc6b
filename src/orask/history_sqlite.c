/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * history_sqlite.c: libsqlite3, loaded when the history is first opened
 * (history_sqlite.h says why).
 */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>

#include "orask/history_sqlite.h"

struct orask_sqlite orask_sqlite;

int
orask_sqlite_load(char *msg, size_t size)
{
	static int loaded;
	void *lib;

	if (loaded)
		return 0;
	if ((lib = dlopen(ORASK_SQLITE_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(msg, size, "the history needs SQLite (%s, the libsqlite3-0 package): %s",
		    ORASK_SQLITE_SONAME, dlerror());
		return -1;
	}
#define ORASK_SQLITE_LOOKUP(name, ret, args)                                                       \
	if ((*(void **)&orask_sqlite.name = dlsym(lib, "sqlite3_" #name)) == NULL) {               \
		snprintf(msg, size, "%s lacks sqlite3_%s", ORASK_SQLITE_SONAME, #name);            \
		return -1;                                                                         \
	}
	ORASK_SQLITE_FUNCTIONS(ORASK_SQLITE_LOOKUP)
#undef ORASK_SQLITE_LOOKUP
	/* Never closed: the history is used until orask ends. */
	loaded = 1;
	return 0;
}
