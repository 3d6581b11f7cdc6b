# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# Integration tests: real orad, real mock upstream, real sockets and users.
TESTS += \
	tests/integration/test_orad_api.sh \
	tests/integration/test_orad_valgrind.sh
EXTRA_DIST += tests/integration/lib.sh tests/integration/test_orad_api.sh \
	tests/integration/test_orad_valgrind.sh
TESTS += tests/integration/test_orad_users.sh
TESTS += tests/integration/test_orad_revocation.sh
TESTS += tests/integration/test_ledger_sustained.sh
TESTS += tests/integration/test_orad_disk.sh
TESTS += tests/integration/test_money_honest.sh
TESTS += tests/integration/test_orad_sandbox.sh
EXTRA_DIST += tests/integration/test_orad_sandbox.sh
EXTRA_DIST += tests/integration/test_money_honest.sh
EXTRA_DIST += tests/integration/test_orad_disk.sh
EXTRA_DIST += tests/integration/test_ledger_sustained.sh
EXTRA_DIST += tests/integration/test_orad_revocation.sh
EXTRA_DIST += tests/integration/test_orad_users.sh
TESTS += tests/integration/test_orad_secrets.sh
EXTRA_DIST += tests/integration/test_orad_secrets.sh
# OpenRouter-side key limits: key provision/list/rotate --provision against
# the mock's management API.
TESTS += tests/integration/test_oractl_provision.sh
EXTRA_DIST += tests/integration/test_oractl_provision.sh
TESTS += tests/integration/test_orad_startup.sh tests/integration/test_orad_cli.sh
EXTRA_DIST += tests/integration/test_orad_startup.sh tests/integration/test_orad_cli.sh
TESTS += tests/integration/test_orad_lifecycle.sh
EXTRA_DIST += tests/integration/test_orad_lifecycle.sh
TESTS += tests/integration/test_orad_stream.sh tests/integration/test_orad_upstream.sh
TESTS += tests/integration/test_orad_proxy.sh tests/integration/test_orad_upstream_idle.sh
EXTRA_DIST += tests/integration/test_orad_proxy.sh tests/integration/test_orad_upstream_idle.sh
TESTS += tests/integration/test_orad_tls.sh
EXTRA_DIST += tests/integration/test_orad_tls.sh tests/integration/tls_relay.py \
	tests/integration/connect_proxy.py
EXTRA_DIST += tests/integration/test_orad_stream.sh tests/integration/test_orad_upstream.sh
TESTS += tests/integration/test_money_crash.sh tests/integration/test_money_settle.sh \
	tests/integration/test_money_concurrency.sh tests/integration/test_money_ledger.sh
EXTRA_DIST += tests/integration/test_money_crash.sh tests/integration/test_money_settle.sh \
	tests/integration/test_money_concurrency.sh tests/integration/test_money_ledger.sh
TESTS += tests/integration/test_orad_resilience.sh
EXTRA_DIST += tests/integration/test_orad_resilience.sh
TESTS += tests/integration/test_cost_centres.sh
EXTRA_DIST += tests/integration/test_cost_centres.sh
EXTRA_DIST += tests/integration/sse_client.py
# make install's layout, the systemd units (verify, security score), the
# sysusers.d and tmpfiles.d files, the man pages.
TESTS += tests/integration/test_install.sh tests/integration/test_orad_unit.sh
EXTRA_DIST += tests/integration/test_install.sh tests/integration/test_orad_unit.sh
# Kernel identity of loopback TCP callers (src/orad/tcpident.c).
check_PROGRAMS += tests/unit/check_tcpident
TESTS += tests/unit/check_tcpident
tests_unit_check_tcpident_SOURCES = tests/unit/check_tcpident.c src/orad/tcpident.c src/orad/tcpident.h
tests_unit_check_tcpident_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_unit_check_tcpident_LDADD = $(CHECK_LIBS_ALL)
TESTS += tests/integration/test_sdk_mock.sh
EXTRA_DIST += tests/integration/test_sdk_mock.sh tests/integration/sdk
TESTS += tests/integration/test_orad_hostile.sh
EXTRA_DIST += tests/integration/test_orad_hostile.sh
# daemon.listen: loopback TCP, callers named by the kernel, as real users.
TESTS += tests/integration/test_orad_tcp.sh
EXTRA_DIST += tests/integration/test_orad_tcp.sh
check_PROGRAMS += tests/integration/tcp_pass_fd
tests_integration_tcp_pass_fd_SOURCES = tests/integration/tcp_pass_fd.c
TESTS += tests/integration/test_orad_shapes.sh
EXTRA_DIST += tests/integration/test_orad_shapes.sh
TESTS += tests/integration/test_orad_shapes_sdk.sh
EXTRA_DIST += tests/integration/test_orad_shapes_sdk.sh
TESTS += tests/integration/test_orad_slow_request.sh
EXTRA_DIST += tests/integration/test_orad_slow_request.sh
# A shared ledger: usage across hosts, and a client that hangs up while
# its shared-budget reservation waits.
TESTS += tests/integration/test_ledger_pg_hangup.sh
EXTRA_DIST += tests/integration/test_ledger_pg_hangup.sh
# PostgreSQL stopped under load, with ledger.unavailable = "refuse" on one
# host and "allowance" on another.
TESTS += tests/integration/test_ledger_pg_outage.sh
EXTRA_DIST += tests/integration/test_ledger_pg_outage.sh
