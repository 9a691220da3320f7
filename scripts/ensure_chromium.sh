#!/usr/bin/env bash
# The browser tests drive Debian's Chromium. Install it when it is missing and we can (root with
# apt-get, as in CI); otherwise say the one line to run and let the tests report it as missing.
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || [ -n "${CHROMIUM:-}" ]; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium for the browser tests (apt-get install -y chromium)"
    if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null); then
        exit 0
    fi
    echo "warning: could not install chromium; the browser tests will fail" >&2
    exit 0
fi
echo "note: the browser tests need Debian's Chromium; run: sudo apt-get install -y chromium" >&2
exit 0
