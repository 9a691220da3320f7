#!/usr/bin/env bash
# ensure_apt.sh WHAT COMMAND PACKAGE...
# Install Debian PACKAGEs when COMMAND is missing and we can (root with apt-get, as in CI);
# otherwise print the one line to run. Never fails: the step that needs COMMAND says what is missing.
what="$1"; command="$2"; shift 2
if command -v "$command" >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing $* for $what (apt-get install -y $*)"
    if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null); then
        exit 0
    fi
    echo "warning: could not install $*; $what will not work" >&2
    exit 0
fi
echo "note: $what needs $command; run: sudo apt-get install -y $*" >&2
exit 0
