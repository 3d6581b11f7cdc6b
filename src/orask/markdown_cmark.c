/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * markdown_cmark.c: libcmark, loaded when an answer is first rendered
 * (markdown_cmark.h says why).
 */
#include "config.h"

#include <dlfcn.h>

#include "orask/markdown_cmark.h"

struct orask_cmark orask_cmark;

static int
lookup(void *lib)
{
#define ORASK_CMARK_LOOKUP(name, ret, args)                                                        \
	if ((*(void **)&orask_cmark.name = dlsym(lib, "cmark_" #name)) == NULL)                    \
		return -1;
	ORASK_CMARK_FUNCTIONS(ORASK_CMARK_LOOKUP)
#undef ORASK_CMARK_LOOKUP
	return 0;
}

int
orask_cmark_load(void)
{
	static int state; /* 0: not tried, 1: loaded, -1: not available */
	void *lib;

	if (state != 0)
		return state > 0 ? 0 : -1;
	lib = dlopen(ORASK_CMARK_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL)
		lib = dlopen(ORASK_CMARK_SONAME_ANY, RTLD_NOW | RTLD_LOCAL);
	/* Never closed: the renderer is used until orask ends. */
	state = lib != NULL && lookup(lib) == 0 ? 1 : -1;
	return state > 0 ? 0 : -1;
}
