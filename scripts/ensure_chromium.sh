#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (or the one CHROMIUM names): install it when it is
# missing and we can, otherwise say the one line to run and let the tests report it as missing.
if [ -n "${CHROMIUM:-}" ] || [ -x /usr/bin/chromium ]; then
    exit 0
fi
exec bash "$(dirname "$0")/ensure_apt.sh" "the browser tests" chromium chromium
