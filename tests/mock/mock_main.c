/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * mock_main.c: ora-mock's command line, setup, event loop and teardown.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <event2/event.h>

#include "mock.h"

struct mock_options {
	const char *listen;
	const char *port_file;
	const char *keys_file;
	const char *management_keys_file;
	const char *models_file;
	int generation_delay_ms;
	int quiet;
};

static void
mock_usage(FILE *f)
{
	fprintf(f, "usage: ora-mock [--listen HOST:PORT] [--port-file FILE] [--keys FILE]\n"
	           "                [--management-keys FILE] [--generation-delay-ms N]\n"
	           "                [--models FILE] [--quiet]\n"
	           "A fake OpenRouter for ora's tests; see tests/mock/README.md.\n");
}

static int
mock_parse_args(int argc, char **argv, struct mock_options *opt)
{
	static const struct option longopts[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"port-file", required_argument, NULL, 'p'},
	    {"keys", required_argument, NULL, 'k'},
	    {"management-keys", required_argument, NULL, 'M'},
	    {"generation-delay-ms", required_argument, NULL, 'g'},
	    {"models", required_argument, NULL, 'm'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	opt->listen = "127.0.0.1:0";
	while ((c = getopt_long(argc, argv, "l:p:k:M:g:m:qh", longopts, NULL)) != -1) {
		char *end;
		long v;

		switch (c) {
		case 'l':
			opt->listen = optarg;
			break;
		case 'p':
			opt->port_file = optarg;
			break;
		case 'k':
			opt->keys_file = optarg;
			break;
		case 'M':
			opt->management_keys_file = optarg;
			break;
		case 'm':
			opt->models_file = optarg;
			break;
		case 'q':
			opt->quiet = 1;
			break;
		case 'g':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg || v < 0 ||
			    v > MOCK_MAX_DELAY_MS) {
				fprintf(stderr, "ora-mock: --generation-delay-ms: 0..%d expected\n",
				    MOCK_MAX_DELAY_MS);
				return -1;
			}
			opt->generation_delay_ms = (int)v;
			break;
		case 'h':
			mock_usage(stdout);
			exit(0);
		default:
			mock_usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		mock_usage(stderr);
		return -1;
	}
	return 0;
}

/* One key a line; blank lines and # comments skipped, blanks trimmed. */
static int
mock_load_keys(const char *path, struct mock_map **out)
{
	FILE *f = fopen(path, "r");
	struct mock_map *keys;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (f == NULL) {
		fprintf(stderr, "ora-mock: --keys %s: %s\n", path, strerror(errno));
		return -1;
	}
	keys = mock_map_new();
	while ((n = getline(&line, &cap, f)) >= 0) {
		char *s = line, *e = line + n;

		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > s && *s != '#')
			mock_map_put(keys, s, (size_t)(e - s), keys); /* a set: any non-NULL */
	}
	free(line);
	fclose(f);
	*out = keys;
	return 0;
}

/* Written to a temporary name and renamed, so a test polling for the
 * file never reads half a number. */
static int
mock_write_port_file(const char *path, uint16_t port)
{
	char *tmp = mock_xasprintf("%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	int ok;

	if (f == NULL) {
		fprintf(stderr, "ora-mock: --port-file %s: %s\n", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	ok = fprintf(f, "%u\n", (unsigned)port) > 0;
	ok = (fclose(f) == 0) && ok;
	if (!ok || rename(tmp, path) != 0) {
		fprintf(stderr, "ora-mock: --port-file %s: %s\n", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

/* 1000+ concurrent streams need more descriptors than the usual soft
 * limit of 1024; raise it to the hard limit when allowed. */
static void
mock_raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void
mock_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct mock_server *srv = arg;

	event_base_loopbreak(srv->base);
}

static void
mock_server_free(struct mock_server *srv)
{
	srv->shutting_down = 1;
	mock_http_stop(srv);
	while (srv->gens != NULL) /* none left unless a connection vanished */
		mock_gen_free(srv->gens);
	mock_map_free(srv->conns, free);
	mock_faults_free(srv->faults);
	mock_records_free(srv->records);
	mock_catalog_free(srv->catalog);
	mock_map_free(srv->keys, NULL);
	mock_map_free(srv->management_keys, NULL);
	mock_keys_free(srv->provisioned);
	if (srv->base != NULL)
		event_base_free(srv->base);
}

int
main(int argc, char **argv)
{
	struct mock_options opt;
	struct mock_server srv;
	struct event *sigterm = NULL, *sigint = NULL;
	int rc = 1;

	memset(&opt, 0, sizeof(opt));
	memset(&srv, 0, sizeof(srv));
	if (mock_parse_args(argc, argv, &opt) != 0)
		return 2;
	/* A client that hangs up mid-write must not kill the mock. */
	signal(SIGPIPE, SIG_IGN);
	mock_raise_fd_limit();
	srv.quiet = opt.quiet;
	srv.generation_delay_ms = opt.generation_delay_ms;
	srv.conns = mock_map_new();
	srv.faults = mock_faults_new();
	srv.records = mock_records_new();
	srv.provisioned = mock_keys_new();
	if (opt.keys_file != NULL && mock_load_keys(opt.keys_file, &srv.keys) != 0)
		goto out;
	if (opt.management_keys_file != NULL &&
	    mock_load_keys(opt.management_keys_file, &srv.management_keys) != 0)
		goto out;
	if (opt.models_file != NULL) {
		if (mock_catalog_load(opt.models_file, &srv.catalog) != 0)
			goto out;
	} else
		srv.catalog = mock_catalog_builtin();
	if (mock_catalog_first(srv.catalog) == NULL) {
		fprintf(stderr, "ora-mock: the model catalog is empty\n");
		goto out;
	}
	srv.base = event_base_new();
	if (srv.base == NULL || mock_http_start(&srv, opt.listen) != 0)
		goto out;
	sigterm = evsignal_new(srv.base, SIGTERM, mock_on_signal, &srv);
	sigint = evsignal_new(srv.base, SIGINT, mock_on_signal, &srv);
	if (sigterm == NULL || sigint == NULL || evsignal_add(sigterm, NULL) != 0 ||
	    evsignal_add(sigint, NULL) != 0)
		goto out;
	if (opt.port_file != NULL && mock_write_port_file(opt.port_file, srv.port) != 0)
		goto out;
	if (!srv.quiet)
		fprintf(stderr, "ora-mock: listening on port %u, accepting %s keys\n",
		    (unsigned)srv.port, srv.keys != NULL ? "listed" : "any sk-or-v1-");
	if (event_base_dispatch(srv.base) < 0)
		goto out;
	rc = 0;
out:
	if (sigterm != NULL)
		event_free(sigterm);
	if (sigint != NULL)
		event_free(sigint);
	mock_server_free(&srv);
	return rc;
}
