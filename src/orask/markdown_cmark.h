/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * markdown_cmark.h: the cmark functions markdown.c calls, found at run
 * time.
 *
 * Markdown is rendered only when the answer goes to a terminal, yet a
 * program linked with libcmark maps and relocates it at every start: some
 * 0.1 ms of CPU and a dozen page faults for every script that asks a
 * question. So, like SQLite (history_sqlite.h) and libedit (chat.c), the
 * library is dlopen()ed by the first renderer; markdown.c includes this
 * header after <cmark.h> and its calls go through the table unchanged.
 * Without the library, answers are shown as raw text.
 */
#ifndef ORA_ORASK_MARKDOWN_CMARK_H
#define ORA_ORASK_MARKDOWN_CMARK_H

#include <cmark.h>

/* cmark's soname is its version (libcmark.so.0.30.2), so the one built
 * against is asked for first, then whichever the development link names. */
#define ORASK_CMARK_SONAME "libcmark.so." CMARK_VERSION_STRING
#define ORASK_CMARK_SONAME_ANY "libcmark.so"

#define ORASK_CMARK_FUNCTIONS(X)                                                                   \
	X(iter_free, void, (cmark_iter *))                                                         \
	X(iter_get_node, cmark_node *, (cmark_iter *))                                             \
	X(iter_new, cmark_iter *, (cmark_node *))                                                  \
	X(iter_next, cmark_event_type, (cmark_iter *))                                             \
	X(node_free, void, (cmark_node *))                                                         \
	X(node_get_fence_info, const char *, (cmark_node *))                                       \
	X(node_get_heading_level, int, (cmark_node *))                                             \
	X(node_get_list_start, int, (cmark_node *))                                                \
	X(node_get_list_tight, int, (cmark_node *))                                                \
	X(node_get_list_type, cmark_list_type, (cmark_node *))                                     \
	X(node_get_literal, const char *, (cmark_node *))                                          \
	X(node_get_type, cmark_node_type, (cmark_node *))                                          \
	X(node_get_url, const char *, (cmark_node *))                                              \
	X(node_next, cmark_node *, (cmark_node *))                                                 \
	X(node_parent, cmark_node *, (cmark_node *))                                               \
	X(parse_document, cmark_node *, (const char *, size_t, int))

#define ORASK_CMARK_FIELD(name, ret, args) ret(*name) args;
struct orask_cmark {
	ORASK_CMARK_FUNCTIONS(ORASK_CMARK_FIELD)
};
#undef ORASK_CMARK_FIELD

extern struct orask_cmark orask_cmark;

/* Load the library once; 0, or -1 when it cannot be (then every later
 * call says so at once). */
int orask_cmark_load(void);

#define cmark_iter_free orask_cmark.iter_free
#define cmark_iter_get_node orask_cmark.iter_get_node
#define cmark_iter_new orask_cmark.iter_new
#define cmark_iter_next orask_cmark.iter_next
#define cmark_node_free orask_cmark.node_free
#define cmark_node_get_fence_info orask_cmark.node_get_fence_info
#define cmark_node_get_heading_level orask_cmark.node_get_heading_level
#define cmark_node_get_list_start orask_cmark.node_get_list_start
#define cmark_node_get_list_tight orask_cmark.node_get_list_tight
#define cmark_node_get_list_type orask_cmark.node_get_list_type
#define cmark_node_get_literal orask_cmark.node_get_literal
#define cmark_node_get_type orask_cmark.node_get_type
#define cmark_node_get_url orask_cmark.node_get_url
#define cmark_node_next orask_cmark.node_next
#define cmark_node_parent orask_cmark.node_parent
#define cmark_parse_document orask_cmark.parse_document

#endif
