#!/usr/bin/env bash
# Make sure the services the test suite needs are installed and running:
# PostgreSQL and Redis on 127.0.0.1, plus the Dovecot and Chromium binaries
# (the tests start their own private Dovecot; the system service stays off).
# Idempotent; run as root, needs no input.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
WAIT_SECONDS=${WAIT_SECONDS:-30}

say() { echo "services: $*"; }
die() { echo "services: ERROR: $*" >&2; exit 1; }

pg_up() { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1; }
redis_up() { command -v redis-cli >/dev/null && [ "$(redis-cli -h 127.0.0.1 ping 2>/dev/null)" = "PONG" ]; }

wait_for() {  # wait_for NAME CHECK_FUNCTION
    local name=$1 check=$2 i
    for ((i = 0; i < WAIT_SECONDS * 2; i++)); do
        "$check" && return 0
        sleep 0.5
    done
    die "$name did not answer on 127.0.0.1 within ${WAIT_SECONDS}s"
}

[ "$(id -u)" -eq 0 ] || die "run as root (it may install Debian packages and start services)"

# --- install whatever is missing, with a single apt-get run -------------------
missing=()
pg_fresh=no
if ! pg_up && ! { [ -d /etc/postgresql ] && [ -n "$(ls -A /etc/postgresql)" ]; }; then
    missing+=(postgresql)
    pg_fresh=yes
fi
if ! redis_up && ! command -v redis-server >/dev/null; then missing+=(redis-server); fi
if ! command -v dovecot >/dev/null && [ ! -x /usr/sbin/dovecot ]; then missing+=(dovecot-imapd); fi
if [ ! -x /usr/bin/chromium ]; then missing+=(chromium); fi

if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    # Keep package scripts from starting system services (dovecot above all);
    # PostgreSQL and Redis are started below, the way the tests expect them.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    apt-get update -qq || die "apt-get update failed"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || die "apt-get install ${missing[*]} failed"
else
    say "packages present"
fi

# --- PostgreSQL ----------------------------------------------------------------
if pg_up; then
    say "postgresql already running"
else
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$version" ] || die "no PostgreSQL cluster under /etc/postgresql"
    if [ "$pg_fresh" = yes ]; then
        hba=/etc/postgresql/$version/main/pg_hba.conf
        if ! grep -q '# services.sh: trust loopback' "$hba"; then
            say "postgresql: trust loopback TCP for local tests"
            {
                echo '# services.sh: trust loopback'
                echo 'host all all 127.0.0.1/32 trust'
                echo 'host all all ::1/128 trust'
                cat "$hba"
            } >"$hba.new"
            chown --reference="$hba" "$hba.new"
            chmod --reference="$hba" "$hba.new"
            mv "$hba.new" "$hba"
        fi
    fi
    say "starting postgresql $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
    wait_for postgresql pg_up
    say "postgresql running"
fi
if command -v psql >/dev/null \
    && ! psql -w -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
    die "postgresql answers but user postgres cannot log in over TCP without a password"
fi

# --- Redis -----------------------------------------------------------------------
if redis_up; then
    say "redis already running"
else
    say "starting redis"
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        >/dev/null || die "redis-server failed to start"
    wait_for redis redis_up
    say "redis running"
fi

# --- binaries the tests start themselves ---------------------------------------
command -v dovecot >/dev/null || [ -x /usr/sbin/dovecot ] || die "dovecot is not installed"
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium is not installed"
say "dovecot and chromium present; all services ready"
