# Shared by every program: logging, bounded buffers, JSON error bodies.
# src/config and src/keys add their files to the same library.
noinst_LIBRARIES += libora_common.a
libora_common_a_CFLAGS = $(AM_CFLAGS) $(LIBCONFIG_CFLAGS) $(SODIUM_CFLAGS) $(JSONC_CFLAGS) \
	$(SQLITE_CFLAGS)
libora_common_a_SOURCES = \
	src/common/log.c src/common/log.h \
	src/common/util.c src/common/util.h
