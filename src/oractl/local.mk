# oractl: the administrator's tool (state directory, master key, upstream
# keys). One file per command; oractl.c is the table of contents.
sbin_PROGRAMS += oractl
oractl_SOURCES = \
	src/oractl/oractl.c src/oractl/oractl.h \
	src/oractl/cmd_init.c \
	src/oractl/cmd_key.c \
	src/oractl/prompt.c
oractl_CFLAGS = $(AM_CFLAGS) $(LIBCONFIG_CFLAGS) $(SODIUM_CFLAGS) $(JSONC_CFLAGS) \
	$(LIBCURL_CFLAGS)
oractl_LDADD = libora_common.a $(LIBCONFIG_LIBS) $(SODIUM_LIBS) $(JSONC_LIBS) \
	$(LIBCURL_LIBS) $(SQLITE_LIBS)

TESTS += tests/integration/test_oractl_keys.sh
EXTRA_DIST += tests/integration/test_oractl_keys.sh
dist_man_MANS += doc/oractl.8
