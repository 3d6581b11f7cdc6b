# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# The benchmark (`make bench`, not part of `make check`): ora-load drives
# load against the mock directly and through orad; run.sh prints the table.
noinst_PROGRAMS += tests/bench/ora-load
tests_bench_ora_load_SOURCES = tests/bench/ora-load.c
tests_bench_ora_load_CFLAGS = $(AM_CFLAGS) $(LIBCURL_CFLAGS)
tests_bench_ora_load_LDADD = $(LIBCURL_LIBS)
EXTRA_DIST += tests/bench/run.sh
EXTRA_DIST += tests/bench/orask_vs_curl.sh
EXTRA_DIST += tests/bench/tcp_vs_socket.sh
EXTRA_DIST += tests/bench/vs_nginx.sh
EXTRA_DIST += tests/bench/pg_budget.sh
# The database across a network: pg_budget.sh over TCP, and through a
# relay that delays every chunk as a LAN would.
EXTRA_DIST += tests/bench/pg_remote.sh
noinst_PROGRAMS += tests/bench/delay-relay
tests_bench_delay_relay_SOURCES = tests/bench/delay-relay.c
EXTRA_DIST += tests/bench/nginx-upstream.conf.in
EXTRA_DIST += tests/bench/nginx-proxy.conf.in
EXTRA_DIST += tests/bench/nginx-tcp.conf.in
