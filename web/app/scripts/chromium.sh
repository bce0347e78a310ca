#!/bin/sh
# Debian's chromium for the web app's browser tests (playwright-core drives /usr/bin/chromium; no browser is
# downloaded by npm). `chromium.sh install` installs the package with apt-get when it is missing (as root;
# serialized with a lock, as tools/postgres-test.sh installs PostgreSQL); otherwise it only checks.
set -eu

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"

die() {
    echo "chromium: $*" >&2
    exit 1
}

if [ -x "$CHROMIUM" ]; then
    exit 0
fi
[ "${1:-}" = "install" ] || die "$CHROMIUM not found: install Debian's chromium (apt-get install chromium)"
[ "$(id -u)" = 0 ] || die "$CHROMIUM not found and not root: install Debian's chromium (apt-get install chromium)"
lock_dir="${TMPDIR:-/tmp}"
(
    flock 9
    if [ ! -x "$CHROMIUM" ]; then
        echo "chromium: installing Debian's chromium" >&2
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >&2
    fi
) 9>"$lock_dir/nxtp-chromium-install.lock"
[ -x "$CHROMIUM" ] || die "chromium installed but $CHROMIUM still missing"
