/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * ora-load: the HTTP load generator behind `make bench` (tests/bench/run.sh).
 *
 * One thread and one libcurl multi handle, driven through libcurl's socket
 * interface from epoll: 1,000 held streams cost 1,000 sockets and nothing
 * more, and open-loop starts are timed by a timerfd to the microsecond
 * rather than by a millisecond poll timeout. Three modes:
 *
 *   --rate R --duration S         open loop: request i is due i/R seconds
 *                                 after the start, and its latency counts
 *                                 from when it was due, not from when it
 *                                 could be sent. A server that stalls then
 *                                 shows the queue it caused instead of hiding
 *                                 it by slowing the generator down
 *                                 ("coordinated omission").
 *   --concurrency C --duration S  closed loop: C requests always in flight,
 *                                 each sent as soon as the last one ended.
 *   --hold-streams N              N streaming requests held open together.
 *                                 Prints "streams open: M" once each has
 *                                 answered with 2xx headers or failed, then
 *                                 holds them until SIGTERM, SIGINT, SIGUSR1
 *                                 or --hold-seconds, and hangs up.
 *
 * Each in-flight slot keeps its easy handle for the whole run, and libcurl's
 * connection pool keeps connections alive between requests, so a steady
 * run opens about as many connections as it has slots.
 *
 * The result is one line of key=value pairs on stdout, e.g.
 *   mode=open requests=10000 errors=0 rps=1000.0 p50_us=210 p90_us=260
 *   p99_us=410 max_us=2034
 * (one line in reality), then answered=N: every 200 answer, warm-up
 * included (what the upstream billed). errors counts answers other than 200 and transfers
 * that failed. Latency is to the end of the answer, or, with --hold-streams,
 * to its headers. The first error is described on stderr. --samples FILE
 * also writes every measured latency (microseconds, one a line), so that
 * runs can be pooled before taking percentiles. --timeline FILE writes, in
 * the order the answers came, each measured request's due time (from the
 * end of the warm-up) and its latency, both in microseconds: whether the
 * slow ones come alone, in clusters or on a period (a fold, a checkpoint,
 * a stall of the machine) shows there, not in percentiles.
 */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_S UINT64_C(1000000000)
#define NS_PER_MS UINT64_C(1000000)
#define NS_PER_US UINT64_C(1000)

/* Limits, all settable on the command line up to these hard caps. */
#define LOAD_MAX_SLOTS 100000          /* requests in flight, any mode */
#define LOAD_DEFAULT_MAX_INFLIGHT 2048 /* open loop: queue beyond this */
#define LOAD_DEFAULT_TIMEOUT_S 60      /* one request; hold: all opening */
#define LOAD_DEFAULT_WARMUP_S 1.0      /* not measured: connections, caches */
#define LOAD_DEFAULT_RAMP 128          /* hold: streams connecting at once */
#define LOAD_MAX_RATE 1000000.0
#define LOAD_MAX_SECONDS 3600.0
#define LOAD_EPOLL_BATCH 256
#define LOAD_ERROR_SNIPPET 200 /* bytes of the first error answer kept */
#define LOAD_MAX_KEY_BYTES 512 /* --bearer-file */

#define LOAD_DEFAULT_BODY                                                                          \
	"{\"model\":\"openai/gpt-4o-mini\",\"messages\":[{\"role\":\"user\","                      \
	"\"content\":\"Say hello to the benchmark\"}]}"
#define LOAD_DEFAULT_STREAM_BODY                                                                   \
	"{\"model\":\"openai/gpt-4o-mini\",\"stream\":true,\"messages\":[{\"role\":\"user\","      \
	"\"content\":\"Say hello to the benchmark, slowly\"}]}"

enum load_mode { LOAD_MODE_NONE = 0, LOAD_MODE_OPEN, LOAD_MODE_CLOSED, LOAD_MODE_HOLD };

static const char *const load_mode_names[] = {"none", "open", "closed", "hold"};

struct load_opts {
	const char *url;
	const char *unix_socket;
	const char *body;
	const char *samples_path; /* NULL: none written */
	const char *timeline_path; /* NULL: none written */
	struct curl_slist *headers;
	enum load_mode mode;
	double rate;
	double duration_s;
	double warmup_s;
	long concurrency;
	long hold_streams;
	double hold_s; /* 0: until a signal */
	long ramp;
	long max_inflight;
	long timeout_s;
	int no_reuse; /* --reuse no: a new connection for every request */
};

struct load;

/* One request in flight, reused for the next one when it ends. */
struct load_slot {
	struct load *ld;
	CURL *easy;
	uint64_t due_ns; /* latency counts from here */
	int open;        /* hold: 2xx headers arrived */
	struct load_slot *next_free;
	char errbuf[CURL_ERROR_SIZE];
};

struct load_samples {
	uint64_t *v; /* nanoseconds */
	size_t n, cap;
};

struct load {
	const struct load_opts *o;
	CURLM *multi;
	int epfd, timerfd, sigfd;
	uint64_t curl_deadline_ns; /* 0: libcurl wants no timeout */

	struct load_slot *slots; /* cap_slots, easy handles made lazily */
	size_t cap_slots, made_slots;
	struct load_slot *free_slots;
	size_t busy;

	uint64_t t0_ns;             /* first request due */
	uint64_t measure_from_ns;   /* end of warm-up */
	uint64_t stop_at_ns;        /* no request is due after this */
	uint64_t next_index, total; /* open loop schedule */
	int stopping;               /* signal, or hold period over */

	struct load_samples lat;
	struct load_samples due; /* with --timeline: each sample's due time, in order */
	struct load_samples order; /* ... and its latency, unsorted */
	uint64_t requests, errors;
	uint64_t answered; /* 200s, warm-up included: what the upstream billed */
	uint64_t last_done_ns;

	long started, opened, failed, ended_early; /* hold */
	int announced;

	struct load_slot *snippet_owner; /* answer being kept as first error */
	char snippet[LOAD_ERROR_SNIPPET + 1];
	size_t snippet_len;
	char first_error[LOAD_ERROR_SNIPPET + CURL_ERROR_SIZE + 64];
};

static uint64_t
load_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static void
load_usage(FILE *f)
{
	fprintf(f,
	    "usage: ora-load --url URL [--unix-socket PATH] [--body JSON]\n"
	    "                [--header 'Name: value']... [--bearer-file FILE]\n"
	    "                (--rate R --duration S | --concurrency C --duration S |\n"
	    "                 --hold-streams N [--hold-seconds S] [--ramp K])\n"
	    "                [--warmup S] [--max-inflight N] [--timeout S] [--samples FILE]\n"
	    "                [--timeline FILE]\n"
	    "                [--reuse yes|no]\n"
	    "  --url URL          e.g. http://127.0.0.1:8080/api/v1/chat/completions, or\n"
	    "                     http://localhost/api/v1/chat/completions with --unix-socket\n"
	    "  --unix-socket PATH connect to this Unix socket instead of the URL's host\n"
	    "  --body JSON        POST body (default: a short chat request; with\n"
	    "                     --hold-streams, the same with \"stream\":true)\n"
	    "  --header H         an extra request header; may be repeated\n"
	    "  --bearer-file FILE send 'Authorization: Bearer' with the file's first line\n"
	    "                     (keeps the key out of the process list)\n"
	    "  --rate R           open loop: R requests per second, due on a fixed schedule\n"
	    "  --concurrency C    closed loop: C requests always in flight\n"
	    "  --duration S       measured seconds (rate and concurrency modes)\n"
	    "  --warmup S         seconds run before measuring (default %.0f)\n"
	    "  --max-inflight N   open loop: at most N in flight; later ones queue and\n"
	    "                     their wait counts in their latency (default %d)\n"
	    "  --hold-streams N   open N streaming requests and hold them open\n"
	    "  --hold-seconds S   then hang up after S seconds (default: on a signal)\n"
	    "  --ramp K           hold: at most K streams connecting at once (default %d)\n"
	    "  --timeout S        per request; with --hold-streams, for all to open\n"
	    "                     (default %d)\n"
	    "  --samples FILE     also write each measured latency (us), one a line\n"
	    "  --timeline FILE    also write each measured request's due time (us from the\n"
	    "                     end of the warm-up) and latency (us), as they ended\n"
	    "  --reuse no         a new connection for every request, as a command-line\n"
	    "                     tool makes (default yes: keep-alive)\n",
	    LOAD_DEFAULT_WARMUP_S, LOAD_DEFAULT_MAX_INFLIGHT, LOAD_DEFAULT_RAMP,
	    LOAD_DEFAULT_TIMEOUT_S);
}

static int
load_parse_double(const char *name, const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= lo && v <= hi)) {
		fprintf(stderr, "ora-load: %s wants a number from %g to %g, not '%s'\n", name, lo,
		    hi, s);
		return -1;
	}
	*out = v;
	return 0;
}

static int
load_parse_long(const char *name, const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "ora-load: %s wants a whole number from %ld to %ld, not '%s'\n",
		    name, lo, hi, s);
		return -1;
	}
	*out = v;
	return 0;
}

static int
load_add_header(struct load_opts *o, const char *h)
{
	struct curl_slist *l = curl_slist_append(o->headers, h);

	if (l == NULL) {
		fprintf(stderr, "ora-load: out of memory\n");
		return -1;
	}
	o->headers = l;
	return 0;
}

/* The key never reaches argv; the copy on our stack is wiped after use. */
static int
load_add_bearer(struct load_opts *o, const char *path)
{
	char key[LOAD_MAX_KEY_BYTES], header[LOAD_MAX_KEY_BYTES + 32];
	FILE *f;
	int r = -1;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "ora-load: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fgets(key, sizeof(key), f) == NULL) {
		fprintf(stderr, "ora-load: %s: no key on the first line\n", path);
		goto out;
	}
	key[strcspn(key, "\r\n")] = '\0';
	snprintf(header, sizeof(header), "Authorization: Bearer %s", key);
	r = load_add_header(o, header);
out:
	explicit_bzero(key, sizeof(key));
	explicit_bzero(header, sizeof(header));
	fclose(f);
	return r;
}

static int
load_parse_args(int argc, char **argv, struct load_opts *o)
{
	double v;

	memset(o, 0, sizeof(*o));
	o->warmup_s = LOAD_DEFAULT_WARMUP_S;
	o->ramp = LOAD_DEFAULT_RAMP;
	o->max_inflight = LOAD_DEFAULT_MAX_INFLIGHT;
	o->timeout_s = LOAD_DEFAULT_TIMEOUT_S;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		int r = 0;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			load_usage(stdout);
			exit(0);
		}
		if (strncmp(a, "--", 2) != 0 || val == NULL) {
			fprintf(stderr, "ora-load: %s: %s\n", a,
			    val == NULL ? "missing its value (or unknown)" : "unknown argument");
			load_usage(stderr);
			return -1;
		}
		i++;
		if (strcmp(a, "--url") == 0)
			o->url = val;
		else if (strcmp(a, "--unix-socket") == 0)
			o->unix_socket = val;
		else if (strcmp(a, "--body") == 0)
			o->body = val;
		else if (strcmp(a, "--samples") == 0)
			o->samples_path = val;
		else if (strcmp(a, "--timeline") == 0)
			o->timeline_path = val;
		else if (strcmp(a, "--reuse") == 0 && (strcmp(val, "yes") == 0 || strcmp(val, "no") == 0))
			o->no_reuse = strcmp(val, "no") == 0;
		else if (strcmp(a, "--header") == 0)
			r = load_add_header(o, val);
		else if (strcmp(a, "--bearer-file") == 0)
			r = load_add_bearer(o, val);
		else if (strcmp(a, "--rate") == 0) {
			r = load_parse_double(a, val, 0.001, LOAD_MAX_RATE, &o->rate);
			o->mode = LOAD_MODE_OPEN;
		} else if (strcmp(a, "--concurrency") == 0) {
			r = load_parse_long(a, val, 1, LOAD_MAX_SLOTS, &o->concurrency);
			o->mode = LOAD_MODE_CLOSED;
		} else if (strcmp(a, "--hold-streams") == 0) {
			r = load_parse_long(a, val, 1, LOAD_MAX_SLOTS, &o->hold_streams);
			o->mode = LOAD_MODE_HOLD;
		} else if (strcmp(a, "--duration") == 0)
			r = load_parse_double(a, val, 0.001, LOAD_MAX_SECONDS, &o->duration_s);
		else if (strcmp(a, "--warmup") == 0)
			r = load_parse_double(a, val, 0, LOAD_MAX_SECONDS, &o->warmup_s);
		else if (strcmp(a, "--hold-seconds") == 0)
			r = load_parse_double(a, val, 0, LOAD_MAX_SECONDS, &o->hold_s);
		else if (strcmp(a, "--ramp") == 0)
			r = load_parse_long(a, val, 1, LOAD_MAX_SLOTS, &o->ramp);
		else if (strcmp(a, "--max-inflight") == 0)
			r = load_parse_long(a, val, 1, LOAD_MAX_SLOTS, &o->max_inflight);
		else if (strcmp(a, "--timeout") == 0) {
			r = load_parse_double(a, val, 1, LOAD_MAX_SECONDS, &v);
			o->timeout_s = (long)v;
		} else {
			fprintf(stderr, "ora-load: unknown option %s\n", a);
			load_usage(stderr);
			return -1;
		}
		if (r != 0)
			return -1;
	}
	if (o->url == NULL || o->mode == LOAD_MODE_NONE) {
		fprintf(stderr, "ora-load: give --url and one of --rate, --concurrency, "
		                "--hold-streams\n");
		load_usage(stderr);
		return -1;
	}
	if (o->mode != LOAD_MODE_HOLD && o->duration_s <= 0) {
		fprintf(stderr, "ora-load: --%s needs --duration\n",
		    o->mode == LOAD_MODE_OPEN ? "rate" : "concurrency");
		return -1;
	}
	if (o->body == NULL)
		o->body = o->mode == LOAD_MODE_HOLD ? LOAD_DEFAULT_STREAM_BODY : LOAD_DEFAULT_BODY;
	/* Content-Type for a JSON API; an empty Expect stops libcurl from
	 * waiting for "100 Continue" before sending a larger body. */
	if (load_add_header(o, "Content-Type: application/json") != 0 ||
	    load_add_header(o, "Expect:") != 0)
		return -1;
	return 0;
}

/* ---- results ---------------------------------------------------------- */

static int
load_samples_add(struct load_samples *s, uint64_t ns)
{
	if (s->n == s->cap) {
		size_t cap = s->cap == 0 ? 4096 : s->cap * 2;
		uint64_t *v = realloc(s->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = ns;
	return 0;
}

static int
load_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted samples, in microseconds. */
static uint64_t
load_percentile_us(const struct load_samples *s, double p)
{
	size_t rank;

	if (s->n == 0)
		return 0;
	rank = (size_t)((p / 100.0) * (double)s->n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > s->n)
		rank = s->n;
	return s->v[rank - 1] / NS_PER_US;
}

/* Remember the first failure only: the rest are usually the same. curl_error
 * is NULL when the transfer worked but the answer was not a 200. */
static void
load_note_error(struct load *ld, long code, const char *curl_error, const char *answer)
{
	if (ld->first_error[0] != '\0')
		return;
	if (curl_error != NULL)
		snprintf(ld->first_error, sizeof(ld->first_error), "transfer failed (HTTP %ld): %s",
		    code, curl_error);
	else
		snprintf(ld->first_error, sizeof(ld->first_error), "HTTP %ld%s%s", code,
		    answer[0] != '\0' ? ": " : "", answer);
}

/* Write microseconds, one line per sample: first[i], or "first[i]
 * second[i]" when second is not NULL. */
static int
load_write_us(const char *path, const struct load_samples *first,
    const struct load_samples *second)
{
	FILE *f;
	int r = 0;

	if ((f = fopen(path, "w")) == NULL) {
		fprintf(stderr, "ora-load: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < first->n && r >= 0; i++) {
		if (second != NULL)
			r = fprintf(f, "%" PRIu64 " %" PRIu64 "\n", first->v[i] / NS_PER_US,
			    second->v[i] / NS_PER_US);
		else
			r = fprintf(f, "%" PRIu64 "\n", first->v[i] / NS_PER_US);
	}
	if (fclose(f) != 0 || r < 0) {
		fprintf(stderr, "ora-load: %s: cannot write\n", path);
		return -1;
	}
	return 0;
}

static int
load_print_result(struct load *ld)
{
	const struct load_opts *o = ld->o;
	uint64_t from = o->mode == LOAD_MODE_HOLD ? ld->t0_ns : ld->measure_from_ns;
	double window_s = ld->last_done_ns > from ? (double)(ld->last_done_ns - from) / 1e9 : 0;

	qsort(ld->lat.v, ld->lat.n, sizeof(*ld->lat.v), load_cmp_u64);
	printf("mode=%s requests=%" PRIu64 " errors=%" PRIu64 " rps=%.1f p50_us=%" PRIu64
	       " p90_us=%" PRIu64 " p99_us=%" PRIu64 " max_us=%" PRIu64,
	    load_mode_names[o->mode], ld->requests, ld->errors,
	    window_s > 0 ? (double)ld->requests / window_s : 0.0, load_percentile_us(&ld->lat, 50),
	    load_percentile_us(&ld->lat, 90), load_percentile_us(&ld->lat, 99),
	    load_percentile_us(&ld->lat, 100));
	printf(" answered=%" PRIu64, ld->answered);
	if (o->mode == LOAD_MODE_HOLD)
		printf(" opened=%ld failed=%ld ended_early=%ld", ld->opened, ld->failed,
		    ld->ended_early);
	printf("\n");
	fflush(stdout);
	if (ld->first_error[0] != '\0')
		fprintf(stderr, "ora-load: first error: %s\n", ld->first_error);
	if (o->timeline_path != NULL && load_write_us(o->timeline_path, &ld->due, &ld->order) != 0)
		return -1;
	return o->samples_path != NULL ? load_write_us(o->samples_path, &ld->lat, NULL) : 0;
}

/* ---- libcurl callbacks ------------------------------------------------ */

static size_t
load_on_body(char *buf, size_t size, size_t n, void *arg)
{
	struct load_slot *slot = arg;
	struct load *ld = slot->ld;
	size_t len = size * n;

	/* Keep the start of the first answer that is not a 200, to say why. */
	if (ld->first_error[0] == '\0' &&
	    (ld->snippet_owner == NULL || ld->snippet_owner == slot)) {
		long code = 0;

		curl_easy_getinfo(slot->easy, CURLINFO_RESPONSE_CODE, &code);
		if (code != 200) {
			size_t room = LOAD_ERROR_SNIPPET - ld->snippet_len;

			ld->snippet_owner = slot;
			if (len < room)
				room = len;
			memcpy(ld->snippet + ld->snippet_len, buf, room);
			ld->snippet_len += room;
			ld->snippet[ld->snippet_len] = '\0';
		}
	}
	return len;
}

/* Hold mode: a stream counts as open when 2xx headers have all arrived. */
static size_t
load_on_header(char *buf, size_t size, size_t n, void *arg)
{
	struct load_slot *slot = arg;
	struct load *ld = slot->ld;
	size_t len = size * n;
	long code = 0;

	if (slot->open || !(len <= 2 && (buf[0] == '\r' || buf[0] == '\n')))
		return len;
	curl_easy_getinfo(slot->easy, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 200 && code < 300) {
		uint64_t now = load_now_ns();

		slot->open = 1;
		ld->opened++;
		ld->requests++;
		ld->last_done_ns = now;
		if (load_samples_add(&ld->lat, now - slot->due_ns) != 0)
			return 0; /* out of memory: fail this transfer */
	}
	return len;
}

static int
load_on_socket(CURL *easy, curl_socket_t fd, int what, void *arg, void *known)
{
	struct load *ld = arg;
	struct epoll_event ev = {0};

	if (what == CURL_POLL_REMOVE) {
		/* libcurl may have closed it already; nothing to undo then. */
		epoll_ctl(ld->epfd, EPOLL_CTL_DEL, fd, NULL);
		return 0;
	}
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	ev.data.fd = fd;
	if (epoll_ctl(ld->epfd, known != NULL ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) != 0 &&
	    (errno != EEXIST || epoll_ctl(ld->epfd, EPOLL_CTL_MOD, fd, &ev) != 0)) {
		fprintf(stderr, "ora-load: epoll_ctl: %s\n", strerror(errno));
		return -1;
	}
	if (known == NULL)
		curl_multi_assign(ld->multi, fd, ld);
	return 0;
}

static int
load_on_timer(CURLM *multi, long timeout_ms, void *arg)
{
	struct load *ld = arg;

	ld->curl_deadline_ns =
	    timeout_ms < 0 ? 0 : load_now_ns() + (uint64_t)timeout_ms * NS_PER_MS;
	if (timeout_ms == 0)
		ld->curl_deadline_ns = 1; /* already due, and not "none" */
	return 0;
}

/* ---- slots ------------------------------------------------------------ */

static int
load_slot_init(struct load *ld, struct load_slot *slot)
{
	const struct load_opts *o = ld->o;
	CURL *e;

	if ((e = curl_easy_init()) == NULL)
		return -1;
	slot->ld = ld;
	slot->easy = e;
	curl_easy_setopt(e, CURLOPT_URL, o->url);
	if (o->unix_socket != NULL)
		curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, o->unix_socket);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, o->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(o->body));
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, o->headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, load_on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, slot);
	curl_easy_setopt(e, CURLOPT_PRIVATE, slot);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, slot->errbuf);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, o->timeout_s);
	if (o->no_reuse)
		curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	if (o->mode == LOAD_MODE_HOLD) {
		/* Held streams must outlive any per-request timeout. */
		curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, load_on_header);
		curl_easy_setopt(e, CURLOPT_HEADERDATA, slot);
	} else {
		curl_easy_setopt(e, CURLOPT_TIMEOUT, o->timeout_s);
	}
	return 0;
}

/* A free slot, making one while under the cap; NULL when all are busy. */
static struct load_slot *
load_slot_get(struct load *ld)
{
	struct load_slot *slot;

	if ((slot = ld->free_slots) != NULL) {
		ld->free_slots = slot->next_free;
		return slot;
	}
	if (ld->made_slots == ld->cap_slots)
		return NULL;
	slot = &ld->slots[ld->made_slots];
	if (load_slot_init(ld, slot) != 0)
		return NULL;
	ld->made_slots++;
	return slot;
}

static void
load_slot_put(struct load *ld, struct load_slot *slot)
{
	slot->next_free = ld->free_slots;
	ld->free_slots = slot;
}

static int
load_start(struct load *ld, struct load_slot *slot, uint64_t due_ns)
{
	CURLMcode mc;

	slot->due_ns = due_ns;
	slot->open = 0;
	slot->errbuf[0] = '\0';
	if ((mc = curl_multi_add_handle(ld->multi, slot->easy)) != CURLM_OK) {
		fprintf(stderr, "ora-load: curl_multi_add_handle: %s\n", curl_multi_strerror(mc));
		load_slot_put(ld, slot);
		return -1;
	}
	ld->busy++;
	return 0;
}

/* ---- the loop --------------------------------------------------------- */

static void
load_arm_timer(struct load *ld, uint64_t at_ns)
{
	struct itimerspec its = {0};

	its.it_value.tv_sec = (time_t)(at_ns / NS_PER_S);
	its.it_value.tv_nsec = (long)(at_ns % NS_PER_S);
	if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
		its.it_value.tv_nsec = 1; /* zero would disarm it */
	timerfd_settime(ld->timerfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* One transfer ended: count it, and free its slot. */
static void
load_finish(struct load *ld, CURL *easy, CURLcode result)
{
	struct load_slot *slot = NULL;
	uint64_t now = load_now_ns();
	long code = 0;
	int bad;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&slot);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	bad = result != CURLE_OK || code != 200;
	ld->answered += !bad;
	if (bad) {
		if (result != CURLE_OK)
			load_note_error(ld, code,
			    slot->errbuf[0] != '\0' ? slot->errbuf : curl_easy_strerror(result),
			    "");
		else
			load_note_error(
			    ld, code, NULL, slot == ld->snippet_owner ? ld->snippet : "");
	}
	if (slot == ld->snippet_owner) {
		ld->snippet_owner = NULL;
		ld->snippet_len = 0;
		ld->snippet[0] = '\0';
	}
	if (ld->o->mode == LOAD_MODE_HOLD) {
		if (slot->open)
			ld->ended_early++;
		else {
			ld->failed++;
			ld->errors++;
		}
	} else if (slot->due_ns >= ld->measure_from_ns) {
		ld->requests++;
		ld->errors += bad;
		ld->last_done_ns = now;
		if (load_samples_add(&ld->lat, now - slot->due_ns) != 0 ||
		    (ld->o->timeline_path != NULL &&
		        (load_samples_add(&ld->due, slot->due_ns - ld->measure_from_ns) != 0 ||
		            load_samples_add(&ld->order, now - slot->due_ns) != 0))) {
			fprintf(stderr, "ora-load: out of memory for samples\n");
			ld->stopping = 1;
		}
	}
	curl_multi_remove_handle(ld->multi, easy);
	ld->busy--;
	load_slot_put(ld, slot);
}

static void
load_reap(struct load *ld)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(ld->multi, &left)) != NULL)
		if (m->msg == CURLMSG_DONE)
			load_finish(ld, m->easy_handle, m->data.result);
}

/* Start whatever the mode says is due now. */
static int
load_refill(struct load *ld)
{
	const struct load_opts *o = ld->o;
	uint64_t now = load_now_ns();
	struct load_slot *slot;

	if (ld->stopping)
		return 0;
	switch (o->mode) {
	case LOAD_MODE_OPEN:
		while (ld->next_index < ld->total) {
			uint64_t due = ld->t0_ns + (uint64_t)((double)ld->next_index *
			                                      (double)NS_PER_S / o->rate);

			if (due > now) {
				load_arm_timer(ld, due);
				break;
			}
			/* All slots busy: the schedule waits for a slot, and the
			 * wait counts in the latency of what was due. */
			if ((slot = load_slot_get(ld)) == NULL)
				break;
			if (load_start(ld, slot, due) != 0)
				return -1;
			ld->next_index++;
		}
		break;
	case LOAD_MODE_CLOSED:
		while (now < ld->stop_at_ns && (slot = load_slot_get(ld)) != NULL)
			if (load_start(ld, slot, now) != 0)
				return -1;
		break;
	case LOAD_MODE_HOLD:
		while (ld->started < o->hold_streams &&
		       ld->started - ld->opened - ld->failed < o->ramp &&
		       (slot = load_slot_get(ld)) != NULL) {
			if (load_start(ld, slot, now) != 0)
				return -1;
			ld->started++;
		}
		if (!ld->announced && ld->started == o->hold_streams &&
		    ld->opened + ld->failed == ld->started) {
			printf("streams open: %ld\n", ld->opened);
			fflush(stdout);
			ld->announced = 1;
			if (o->hold_s > 0)
				load_arm_timer(ld, now + (uint64_t)(o->hold_s * (double)NS_PER_S));
			else
				load_arm_timer(ld, now + (uint64_t)LOAD_MAX_SECONDS * NS_PER_S);
		}
		break;
	case LOAD_MODE_NONE:
		break;
	}
	return 0;
}

static int
load_done(const struct load *ld)
{
	switch (ld->o->mode) {
	case LOAD_MODE_OPEN:
		return (ld->stopping || ld->next_index == ld->total) && ld->busy == 0;
	case LOAD_MODE_CLOSED:
		return (ld->stopping || load_now_ns() >= ld->stop_at_ns) && ld->busy == 0;
	case LOAD_MODE_HOLD:
		return ld->stopping;
	case LOAD_MODE_NONE:
		break;
	}
	return 1;
}

/* The timerfd fired: the next open-loop request is due, or the hold period
 * (or the time allowed for opening) is over. */
static void
load_on_tick(struct load *ld)
{
	uint64_t expirations;

	if (read(ld->timerfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		fprintf(stderr, "ora-load: timerfd: %s\n", strerror(errno));
	if (ld->o->mode != LOAD_MODE_HOLD)
		return;
	if (!ld->announced) {
		printf("streams open: %ld\n", ld->opened);
		fprintf(stderr, "ora-load: only %ld of %ld streams opened within %ld s\n",
		    ld->opened, ld->o->hold_streams, ld->o->timeout_s);
		fflush(stdout);
		ld->announced = 1;
	}
	ld->stopping = 1;
}

static void
load_on_signal(struct load *ld)
{
	struct signalfd_siginfo si;

	if (read(ld->sigfd, &si, sizeof(si)) < 0 && errno != EAGAIN)
		fprintf(stderr, "ora-load: signalfd: %s\n", strerror(errno));
	if (ld->o->mode == LOAD_MODE_HOLD && !ld->announced)
		fprintf(stderr, "ora-load: signalled before all streams opened\n");
	ld->stopping = 1;
}

static int
load_loop(struct load *ld)
{
	struct epoll_event evs[LOAD_EPOLL_BATCH];
	int running;

	while (!load_done(ld)) {
		int timeout_ms = -1, n;
		uint64_t now = load_now_ns();

		if (ld->curl_deadline_ns != 0)
			timeout_ms =
			    ld->curl_deadline_ns <= now
			        ? 0
			        : (int)((ld->curl_deadline_ns - now + NS_PER_MS - 1) / NS_PER_MS);
		n = epoll_wait(ld->epfd, evs, LOAD_EPOLL_BATCH, timeout_ms);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "ora-load: epoll_wait: %s\n", strerror(errno));
			return -1;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd, mask = 0;

			if (fd == ld->timerfd) {
				load_on_tick(ld);
				continue;
			}
			if (fd == ld->sigfd) {
				load_on_signal(ld);
				continue;
			}
			if (evs[i].events & EPOLLIN)
				mask |= CURL_CSELECT_IN;
			if (evs[i].events & EPOLLOUT)
				mask |= CURL_CSELECT_OUT;
			if (evs[i].events & (EPOLLERR | EPOLLHUP))
				mask |= CURL_CSELECT_ERR;
			curl_multi_socket_action(ld->multi, fd, mask, &running);
		}
		if (ld->curl_deadline_ns != 0 && ld->curl_deadline_ns <= load_now_ns()) {
			ld->curl_deadline_ns = 0;
			curl_multi_socket_action(ld->multi, CURL_SOCKET_TIMEOUT, 0, &running);
		}
		load_reap(ld);
		if (load_refill(ld) != 0)
			return -1;
	}
	return 0;
}

/* ---- set-up and teardown ---------------------------------------------- */

static int
load_epoll_add(struct load *ld, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};

	return epoll_ctl(ld->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static int
load_init(struct load *ld, const struct load_opts *o)
{
	sigset_t sigs;
	struct rlimit rl;

	memset(ld, 0, sizeof(*ld));
	ld->o = o;
	ld->epfd = ld->timerfd = ld->sigfd = -1;
	/* Every held stream or in-flight request is a descriptor. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* Wake when a request is due, not up to 50 µs later. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &sigs, NULL) != 0 ||
	    (ld->sigfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
	    (ld->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0 ||
	    (ld->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 || load_epoll_add(ld, ld->sigfd) != 0 ||
	    load_epoll_add(ld, ld->timerfd) != 0) {
		fprintf(stderr, "ora-load: cannot set up the event loop: %s\n", strerror(errno));
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);

	switch (o->mode) {
	case LOAD_MODE_OPEN:
		ld->cap_slots = (size_t)o->max_inflight;
		break;
	case LOAD_MODE_CLOSED:
		ld->cap_slots = (size_t)o->concurrency;
		break;
	case LOAD_MODE_HOLD:
		ld->cap_slots = (size_t)o->hold_streams;
		break;
	case LOAD_MODE_NONE:
		return -1;
	}
	if ((ld->slots = calloc(ld->cap_slots, sizeof(*ld->slots))) == NULL) {
		fprintf(stderr, "ora-load: out of memory\n");
		return -1;
	}
	if ((ld->multi = curl_multi_init()) == NULL) {
		fprintf(stderr, "ora-load: curl_multi_init failed\n");
		return -1;
	}
	curl_multi_setopt(ld->multi, CURLMOPT_SOCKETFUNCTION, load_on_socket);
	curl_multi_setopt(ld->multi, CURLMOPT_SOCKETDATA, ld);
	curl_multi_setopt(ld->multi, CURLMOPT_TIMERFUNCTION, load_on_timer);
	curl_multi_setopt(ld->multi, CURLMOPT_TIMERDATA, ld);
	/* One idle connection kept per slot: keep-alive across requests. */
	curl_multi_setopt(ld->multi, CURLMOPT_MAXCONNECTS, (long)ld->cap_slots);

	ld->t0_ns = load_now_ns() + NS_PER_MS;
	if (o->mode != LOAD_MODE_HOLD) {
		ld->measure_from_ns = ld->t0_ns + (uint64_t)(o->warmup_s * (double)NS_PER_S);
		ld->stop_at_ns = ld->measure_from_ns + (uint64_t)(o->duration_s * (double)NS_PER_S);
		ld->total = (uint64_t)((o->warmup_s + o->duration_s) * o->rate);
	} else {
		/* Streams that have not all opened by then are given up on. */
		load_arm_timer(ld, ld->t0_ns + (uint64_t)o->timeout_s * NS_PER_S);
	}
	return 0;
}

static void
load_free(struct load *ld)
{
	for (size_t i = 0; i < ld->made_slots; i++) {
		/* Removing a transfer still running hangs up its connection. */
		if (ld->multi != NULL)
			curl_multi_remove_handle(ld->multi, ld->slots[i].easy);
		curl_easy_cleanup(ld->slots[i].easy);
	}
	if (ld->multi != NULL)
		curl_multi_cleanup(ld->multi);
	free(ld->slots);
	free(ld->lat.v);
	free(ld->due.v);
	free(ld->order.v);
	if (ld->epfd >= 0)
		close(ld->epfd);
	if (ld->timerfd >= 0)
		close(ld->timerfd);
	if (ld->sigfd >= 0)
		close(ld->sigfd);
}

int
main(int argc, char **argv)
{
	struct load_opts o;
	struct load ld;
	int r = 1;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "ora-load: curl_global_init failed\n");
		return 1;
	}
	if (load_parse_args(argc, argv, &o) != 0) {
		curl_slist_free_all(o.headers);
		curl_global_cleanup();
		return 2;
	}
	if (load_init(&ld, &o) == 0 && load_refill(&ld) == 0 && load_loop(&ld) == 0 &&
	    load_print_result(&ld) == 0)
		r = 0;
	load_free(&ld);
	/* The list may hold the bearer key; libcurl frees without wiping. */
	for (struct curl_slist *h = o.headers; h != NULL; h = h->next)
		explicit_bzero(h->data, strlen(h->data));
	curl_slist_free_all(o.headers);
	curl_global_cleanup();
	return r;
}
