#include "config.h"

#include <string.h>

#include "client/sse.h"

void
oc_sse_init(struct oc_sse *p, size_t max)
{
	memset(p, 0, sizeof(*p));
	p->max = max;
}

void
oc_sse_free(struct oc_sse *p)
{
	if (p == NULL)
		return;
	oc_buf_free(&p->line);
	oc_buf_free(&p->data);
}

static int
buf_error(int r)
{
	return r == OC_BUF_FULL ? OC_SSE_TOO_LONG : OC_SSE_NOMEM;
}

/* One complete line (without its ending) in p->line. */
static int
process_line(struct oc_sse *p, oc_sse_event_fn fn, void *arg)
{
	const char *line = p->line.p != NULL ? p->line.p : "";
	size_t len = p->line.len;
	const char *colon, *value;
	size_t name_len, value_len;
	int r;

	if (len == 0) {
		if (!p->have_data)
			return 0;
		/* Each data line added a trailing LF; the event has one less. */
		if (p->data.len > 0)
			p->data.p[--p->data.len] = '\0';
		p->have_data = 0;
		r = fn(arg, p->data.p != NULL ? p->data.p : "", p->data.len);
		oc_buf_reset(&p->data);
		return r;
	}
	if (line[0] == ':')
		return 0;
	colon = memchr(line, ':', len);
	name_len = colon != NULL ? (size_t)(colon - line) : len;
	if (name_len != 4 || memcmp(line, "data", 4) != 0)
		return 0;
	value = colon != NULL ? colon + 1 : line + len;
	value_len = (size_t)(line + len - value);
	if (value_len > 0 && value[0] == ' ') {
		value++;
		value_len--;
	}
	if ((r = oc_buf_append(&p->data, value, value_len, p->max)) != 0 ||
	    (r = oc_buf_append(&p->data, "\n", 1, p->max + 1)) != 0)
		return buf_error(r);
	p->have_data = 1;
	return 0;
}

int
oc_sse_feed(struct oc_sse *p, const char *bytes, size_t n, oc_sse_event_fn fn, void *arg)
{
	size_t i = 0, start;
	int r;

	while (i < n) {
		if (p->skip_lf) {
			p->skip_lf = 0;
			if (bytes[i] == '\n') {
				i++;
				continue;
			}
		}
		start = i;
		while (i < n && bytes[i] != '\n' && bytes[i] != '\r')
			i++;
		if ((r = oc_buf_append(&p->line, bytes + start, i - start, p->max)) != 0)
			return buf_error(r);
		if (i == n)
			break; /* the line goes on in the next feed */
		if (bytes[i] == '\r')
			p->skip_lf = 1;
		i++;
		r = process_line(p, fn, arg);
		oc_buf_reset(&p->line);
		if (r != 0)
			return r;
	}
	return 0;
}
