/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * markdown.c: Markdown on a terminal (markdown.h says what and why).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "orask/markdown.h"
#include "orask/markdown_cmark.h"

#define SGR_BOLD "\033[1m"
#define SGR_NOT_BOLD "\033[22m"
#define SGR_DIM "\033[2m"
#define SGR_ITALIC "\033[3m"
#define SGR_NOT_ITALIC "\033[23m"
#define SGR_UNDERLINE "\033[4m"
#define SGR_NOT_UNDERLINE "\033[24m"
#define SGR_CODE "\033[36m"      /* cyan */
#define SGR_HEADING "\033[1;35m" /* bold magenta */
#define SGR_RESET "\033[0m"
#define MD_MAX_DEPTH 16 /* lists and quotes nested deeper render at this depth */
#define MD_RULE_MAX 80

struct orask_md {
	FILE *out;
	int width;
	char *buf; /* text not rendered yet */
	size_t len, cap;
	size_t scanned;  /* complete lines of buf already looked at */
	int in_fence;    /* inside a fenced code block */
	char fence_char; /* '`' or '~' */
	size_t fence_len;
	int blank_seen; /* a blank line since the last cut */
	int rendered;   /* a block was written: the next needs a blank line */
};

/* ---- writing, with the prefix nested blocks need ------------------------ */

struct walk {
	FILE *out;
	int width;
	int at_line_start;
	int quote_depth;
	int list_depth;
	const char *bullet; /* for the first line of an item */
	char bullet_buf[16];
	int counters[MD_MAX_DEPTH];
	const char *style; /* the SGR to restore after a prefix */
};

static void
prefix(struct walk *w)
{
	int i;

	if (!w->at_line_start)
		return;
	w->at_line_start = 0;
	if (w->quote_depth > 0)
		fputs(SGR_RESET SGR_DIM, w->out);
	for (i = 0; i < w->quote_depth; i++)
		fputs("\u2502 ", w->out);
	if (w->quote_depth > 0)
		fputs(SGR_RESET, w->out);
	for (i = 1; i < w->list_depth; i++)
		fputs("  ", w->out);
	if (w->list_depth > 0)
		fputs(w->bullet != NULL ? w->bullet : "  ", w->out);
	w->bullet = NULL;
	if (w->style != NULL)
		fputs(w->style, w->out);
}

static void
newline(struct walk *w)
{
	putc('\n', w->out);
	w->at_line_start = 1;
}

/* Untrusted text: control characters other than tab become '?'; each
 * newline starts a prefixed line. */
static void
put(struct walk *w, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\n') {
			if (w->style != NULL)
				fputs(SGR_RESET, w->out);
			newline(w);
			continue;
		}
		prefix(w);
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			ch = '?';
		putc(ch, w->out);
	}
}

static void
put_str(struct walk *w, const char *s)
{
	if (s != NULL)
		put(w, s, strlen(s));
}

static void
sgr(struct walk *w, const char *code)
{
	prefix(w);
	fputs(code, w->out);
}

/* ---- one parsed document ------------------------------------------------ */

/* After a block: end its line, and leave a blank line before the next
 * one, except between the items of a tight list. */
static void
end_block(struct walk *w, cmark_node *node)
{
	cmark_node *parent = cmark_node_parent(node), *grand;

	if (!w->at_line_start)
		newline(w);
	if (cmark_node_next(node) == NULL)
		return;
	grand = parent != NULL ? cmark_node_parent(parent) : NULL;
	if (parent != NULL && cmark_node_get_type(parent) == CMARK_NODE_ITEM && grand != NULL &&
	    cmark_node_get_list_tight(grand))
		return;
	prefix(w);
	newline(w);
}

static void
code_block(struct walk *w, cmark_node *node)
{
	const char *info = cmark_node_get_fence_info(node), *lit = cmark_node_get_literal(node);
	char lang[64];
	size_t n;

	/* The language is the fence info's first word. */
	n = info != NULL ? strcspn(info, " \t") : 0;
	snprintf(lang, sizeof(lang), "%.*s", (int)(n < sizeof(lang) ? n : sizeof(lang) - 1),
	    info != NULL ? info : "");
	sgr(w, SGR_DIM);
	put_str(w, "\u2500\u2500 ");
	put_str(w, lang[0] != '\0' ? lang : "code");
	put_str(w, " \u2500\u2500");
	fputs(SGR_RESET, w->out);
	newline(w);
	w->style = SGR_CODE;
	n = lit != NULL ? strlen(lit) : 0;
	if (n > 0 && lit[n - 1] == '\n')
		n--; /* the block's last newline ends it below */
	put(w, lit != NULL ? lit : "", n);
	fputs(SGR_RESET, w->out);
	w->style = NULL;
	end_block(w, node);
}

static void
list_item(struct walk *w, cmark_node *item)
{
	cmark_node *list = cmark_node_parent(item);
	int depth = w->list_depth < MD_MAX_DEPTH ? w->list_depth : MD_MAX_DEPTH;

	if (list != NULL && cmark_node_get_list_type(list) == CMARK_ORDERED_LIST) {
		snprintf(w->bullet_buf, sizeof(w->bullet_buf), "%d. ", w->counters[depth - 1]++);
		w->bullet = w->bullet_buf;
	} else {
		w->bullet = "\u2022 ";
	}
}

static void
enter(struct walk *w, cmark_node *node)
{
	int depth;

	switch (cmark_node_get_type(node)) {
	case CMARK_NODE_HEADING:
		sgr(w, SGR_HEADING);
		w->style = SGR_HEADING;
		if (cmark_node_get_heading_level(node) == 1)
			fputs(SGR_UNDERLINE, w->out);
		break;
	case CMARK_NODE_BLOCK_QUOTE:
		w->quote_depth++;
		break;
	case CMARK_NODE_LIST:
		w->list_depth++;
		depth = w->list_depth < MD_MAX_DEPTH ? w->list_depth : MD_MAX_DEPTH;
		w->counters[depth - 1] = cmark_node_get_list_start(node);
		break;
	case CMARK_NODE_ITEM:
		list_item(w, node);
		break;
	case CMARK_NODE_CODE_BLOCK:
		code_block(w, node);
		break;
	case CMARK_NODE_HTML_BLOCK:
	case CMARK_NODE_HTML_INLINE:
	case CMARK_NODE_TEXT:
		put_str(w, cmark_node_get_literal(node));
		break;
	case CMARK_NODE_THEMATIC_BREAK:
		sgr(w, SGR_DIM);
		for (depth = 0; depth < (w->width < MD_RULE_MAX ? w->width : MD_RULE_MAX) / 2;
		     depth++)
			fputs("\u2500", w->out);
		fputs(SGR_RESET, w->out);
		end_block(w, node);
		break;
	case CMARK_NODE_SOFTBREAK:
	case CMARK_NODE_LINEBREAK:
		put(w, "\n", 1);
		break;
	case CMARK_NODE_CODE:
		sgr(w, SGR_CODE);
		put_str(w, cmark_node_get_literal(node));
		fputs(SGR_RESET, w->out);
		if (w->style != NULL)
			fputs(w->style, w->out);
		break;
	case CMARK_NODE_EMPH:
		sgr(w, SGR_ITALIC);
		break;
	case CMARK_NODE_STRONG:
		sgr(w, SGR_BOLD);
		break;
	case CMARK_NODE_LINK:
		sgr(w, SGR_UNDERLINE);
		break;
	case CMARK_NODE_IMAGE:
		put_str(w, "[image: ");
		break;
	default:
		break;
	}
}

static void
leave(struct walk *w, cmark_node *node)
{
	const char *url;

	switch (cmark_node_get_type(node)) {
	case CMARK_NODE_HEADING:
		fputs(SGR_RESET, w->out);
		w->style = NULL;
		end_block(w, node);
		break;
	case CMARK_NODE_PARAGRAPH:
	case CMARK_NODE_HTML_BLOCK:
		end_block(w, node);
		break;
	case CMARK_NODE_BLOCK_QUOTE:
		w->quote_depth--;
		end_block(w, node);
		break;
	case CMARK_NODE_LIST:
		w->list_depth--;
		end_block(w, node);
		break;
	case CMARK_NODE_ITEM:
		if (!w->at_line_start)
			newline(w);
		break;
	case CMARK_NODE_EMPH:
		sgr(w, SGR_NOT_ITALIC);
		break;
	case CMARK_NODE_STRONG:
		sgr(w, SGR_NOT_BOLD);
		if (w->style != NULL)
			fputs(w->style, w->out);
		break;
	case CMARK_NODE_LINK:
	case CMARK_NODE_IMAGE:
		if (cmark_node_get_type(node) == CMARK_NODE_LINK)
			fputs(SGR_NOT_UNDERLINE, w->out);
		else
			put_str(w, "]");
		url = cmark_node_get_url(node);
		if (url != NULL && *url != '\0') {
			sgr(w, SGR_DIM);
			put_str(w, " <");
			put_str(w, url);
			put_str(w, ">");
			fputs(SGR_RESET, w->out);
			if (w->style != NULL)
				fputs(w->style, w->out);
		}
		break;
	default:
		break;
	}
}

void
orask_md_render(FILE *out, int width, const char *text, size_t len)
{
	struct walk w = {.out = out, .width = width > 0 ? width : 80, .at_line_start = 1};
	cmark_node *doc = NULL, *node;
	cmark_iter *it;
	cmark_event_type ev;

	if (orask_cmark_load() == 0)
		doc = cmark_parse_document(text, len, CMARK_OPT_DEFAULT);
	if (doc == NULL) {
		put(&w, text, len);
		return;
	}
	it = cmark_iter_new(doc);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		node = cmark_iter_get_node(it);
		if (ev == CMARK_EVENT_ENTER)
			enter(&w, node);
		else if (ev == CMARK_EVENT_EXIT)
			leave(&w, node);
	}
	cmark_iter_free(it);
	cmark_node_free(doc);
	if (!w.at_line_start)
		newline(&w);
}

/* ---- streaming: whole blocks as they complete ------------------------- */

struct orask_md *
orask_md_new(FILE *out, int width)
{
	struct orask_md *md;

	if (orask_cmark_load() != 0)
		return NULL;
	md = ora_xcalloc(1, sizeof(*md));

	md->out = out;
	md->width = width;
	return md;
}

/* Whether line (n bytes, no newline) opens or closes a code fence: up to
 * three spaces, then three or more ` or ~. */
static int
fence(const char *line, size_t n, char *ch, size_t *count)
{
	size_t i = 0, k;

	while (i < n && i < 3 && line[i] == ' ')
		i++;
	if (i >= n || (line[i] != '`' && line[i] != '~'))
		return 0;
	for (k = i; k < n && line[k] == line[i]; k++)
		;
	if (k - i < 3)
		return 0;
	*ch = line[i];
	*count = k - i;
	return 1;
}

static int
blank_line(const char *line, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			return 0;
	return 1;
}

/* Render buf up to end, and keep the rest. */
static void
flush_to(struct orask_md *md, size_t end)
{
	size_t n = end;

	while (n > 0 && (md->buf[n - 1] == '\n' || md->buf[n - 1] == ' '))
		n--;
	if (n > 0) {
		if (md->rendered)
			putc('\n', md->out);
		orask_md_render(md->out, md->width, md->buf, n);
		md->rendered = 1;
	}
	memmove(md->buf, md->buf + end, md->len - end);
	md->len -= end;
	md->scanned -= end;
	md->blank_seen = 0;
	fflush(md->out);
}

void
orask_md_feed(struct orask_md *md, const char *text, size_t len)
{
	char *nl, ch;
	size_t start, n, count;

	if (md->len + len + 1 > md->cap) {
		md->cap = (md->len + len + 1) * 2;
		md->buf = ora_xrealloc(md->buf, md->cap);
	}
	memcpy(md->buf + md->len, text, len);
	md->len += len;
	while ((nl = memchr(md->buf + md->scanned, '\n', md->len - md->scanned)) != NULL) {
		start = md->scanned;
		n = (size_t)(nl - (md->buf + start));
		md->scanned = start + n + 1;
		if (md->in_fence) {
			/* A closing fence: the code block is whole. */
			if (fence(md->buf + start, n, &ch, &count) && ch == md->fence_char &&
			    count >= md->fence_len &&
			    blank_line(md->buf + start + count, n - count)) {
				md->in_fence = 0;
				flush_to(md, md->scanned);
			}
			continue;
		}
		if (blank_line(md->buf + start, n)) {
			md->blank_seen = 1;
			continue;
		}
		/* A line at the margin after a blank line starts a new block:
		 * what came before is complete. */
		if (md->blank_seen && md->buf[start] != ' ' && md->buf[start] != '\t') {
			flush_to(md, start);
			start = 0;
		}
		if (fence(md->buf + start, n, &ch, &count)) {
			if (start > 0)
				flush_to(md, start);
			md->in_fence = 1;
			md->fence_char = ch;
			md->fence_len = count;
		}
	}
	/* The start of a line at the margin after a blank line: no need to
	 * wait for its end to show the block before it. */
	if (!md->in_fence && md->blank_seen && md->scanned < md->len &&
	    md->buf[md->scanned] != ' ' && md->buf[md->scanned] != '\t')
		flush_to(md, md->scanned);
}

void
orask_md_finish(struct orask_md *md)
{
	if (md->len > 0)
		flush_to(md, md->len);
	md->in_fence = 0;
}

void
orask_md_free(struct orask_md *md)
{
	if (md == NULL)
		return;
	free(md->buf);
	free(md);
}
