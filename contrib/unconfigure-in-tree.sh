#!/bin/sh
# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# unconfigure-in-tree.sh: builds go out of tree (build-*/). A source tree
# configured in place (./configure run at the top, as older versions of
# contrib/demo.sh did) makes every out-of-tree configure stop with "source
# directory already configured"; clean it, saying so, so that demo.sh and
# check.sh work in either order.
set -eu
cd "$(dirname "$0")/.."
if [ -f config.status ]; then
	echo "$(basename "$0"): the source tree was configured in place; running make distclean there so that builds go to build-*/"
	if [ -f Makefile ]; then make distclean >/dev/null 2>&1 || true; fi
	rm -f config.status config.log config.h stamp-h1 libtool Makefile
fi
