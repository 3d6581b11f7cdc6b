# Copyright (c) 2026 The ora authors. ISC licence: see LICENSE.
# sdk.sh: the official OpenAI and Anthropic SDKs as test clients, sourced by
# integration tests after lib.sh.
#
# sdk_setup installs tests/integration/sdk's pinned packages once into a
# shared cache (keyed by the lock file, so a version bump installs afresh)
# and never asks the registry again; it skips the test when node 20+ or npm
# is missing or the first install cannot reach the registry.

SDK_SRC=$top_srcdir/tests/integration/sdk
SDK_NODE_MAJOR_MIN=20

sdk_setup() {
	command -v node >/dev/null 2>&1 || skip_all "node is not installed (contrib/deps.sh: nodejs)"
	command -v npm >/dev/null 2>&1 || skip_all "npm is not installed (contrib/deps.sh: npm)"
	command -v flock >/dev/null 2>&1 || skip_all "flock is not installed"
	major=$(node -p 'process.versions.node.split(".")[0]')
	[ "$major" -ge "$SDK_NODE_MAJOR_MIN" ] || skip_all "node $major is older than $SDK_NODE_MAJOR_MIN"
	lock=$(cat "$SDK_SRC/package.json" "$SDK_SRC/package-lock.json" | sha256sum | cut -c1-16)
	SDK_CACHE=${ORA_SDK_CACHE:-/var/tmp/ora-sdk-cache}/$lock
	mkdir -p "$SDK_CACHE"
	# One installer at a time; parallel tests wait for it.
	(
		flock 9
		if [ ! -f "$SDK_CACHE/installed" ]; then
			cp "$SDK_SRC/package.json" "$SDK_SRC/package-lock.json" "$SDK_CACHE/"
			if (cd "$SDK_CACHE" && npm ci --no-audit --no-fund --prefer-offline \
				--cache "$SDK_CACHE/npm-cache") >"$SDK_CACHE/npm.log" 2>&1; then
				touch "$SDK_CACHE/installed"
			fi
			# Ordinary users run the clients too.
			chmod -R a+rX "$SDK_CACHE"
		fi
	) 9>"$SDK_CACHE.lock"
	[ -f "$SDK_CACHE/installed" ] ||
		skip_all "npm could not install the SDKs (see $SDK_CACHE/npm.log)"
	mkdir -p "$T/sdk"
	cp "$SDK_SRC"/*.mjs "$SDK_SRC/package.json" "$T/sdk/"
	ln -s "$SDK_CACHE/node_modules" "$T/sdk/node_modules"
	chmod -R a+rX "$T/sdk"
}

# sdk_run SCRIPT [--stream]: run a client (chat, responses, messages) with
# the environment already exported (OPENAI_BASE_URL, ANTHROPIC_BASE_URL,
# keys, SDK_MODEL...); its output goes to $T/sdk.out.
sdk_run() {
	script=$1
	shift
	node "$T/sdk/$script.mjs" "$@" >"$T/sdk.out" 2>"$T/sdk.err" || true
}

# sdk_answer: the answer the last client printed (empty if none).
sdk_answer() {
	sed -n 's/^ANSWER //p' "$T/sdk.out" | python3 -c 'import json,sys
t = sys.stdin.read().strip()
print(json.loads(t) if t else "")'
}

# sdk_error: "<class> <status> <type>" of the last client's failure.
sdk_error() { sed -n 's/^ERROR \([^ ]*\) \([^ ]*\) \([^ ]*\) .*/\1 \2 \3/p' "$T/sdk.out"; }
