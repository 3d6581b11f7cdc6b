# Integration tests: real orad, real mock upstream, real sockets and users.
TESTS += \
	tests/integration/test_orad_api.sh \
	tests/integration/test_orad_valgrind.sh
EXTRA_DIST += tests/integration/lib.sh tests/integration/test_orad_api.sh \
	tests/integration/test_orad_valgrind.sh
TESTS += tests/integration/test_orad_users.sh
EXTRA_DIST += tests/integration/test_orad_users.sh
TESTS += tests/integration/test_orad_secrets.sh
EXTRA_DIST += tests/integration/test_orad_secrets.sh
TESTS += tests/integration/test_orad_startup.sh
EXTRA_DIST += tests/integration/test_orad_startup.sh
TESTS += tests/integration/test_orad_lifecycle.sh
EXTRA_DIST += tests/integration/test_orad_lifecycle.sh
TESTS += tests/integration/test_orad_stream.sh tests/integration/test_orad_upstream.sh
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
TESTS += tests/integration/test_orad_hostile.sh
EXTRA_DIST += tests/integration/test_orad_hostile.sh
