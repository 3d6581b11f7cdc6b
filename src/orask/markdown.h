/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * markdown.h: an answer in Markdown, shown on a terminal as it streams:
 * headings, emphasis, inline code, lists, block quotes, code blocks (with
 * their language shown) and links, parsed by cmark (the CommonMark
 * reference parser, Debian's libcmark-dev) rather than by hand.
 *
 * Text arrives in pieces; a block is rendered once it is complete (a
 * blank line followed by a line at the margin, or the end of a fenced
 * code block), so paragraphs, lists and code appear whole as the answer
 * goes on, and the rest at the end. The model's text is untrusted: control
 * characters in it are shown as '?', as for raw text on a terminal.
 */
#ifndef ORA_ORASK_MARKDOWN_H
#define ORA_ORASK_MARKDOWN_H

#include <stddef.h>
#include <stdio.h>

struct orask_md;

/* A renderer writing to out (a terminal); width is the screen's, for
 * rules (0: 80). NULL when libcmark cannot be loaded: show raw text. */
struct orask_md *orask_md_new(FILE *out, int width);

/* The next piece of the answer; renders the blocks it completes. */
void orask_md_feed(struct orask_md *md, const char *text, size_t len);

/* Render what is left (the end of the answer, or an interruption). */
void orask_md_finish(struct orask_md *md);

void orask_md_free(struct orask_md *md);

/* Render a whole Markdown text to out at once (for tests and --no-stream). */
void orask_md_render(FILE *out, int width, const char *text, size_t len);

#endif
