#!/usr/bin/env bash
# Installs and starts the whole system with demo data on the embedded default (SQLite):
# the site at http://127.0.0.1:8000/. Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."

# What the demo needs, explicitly (production defaults are the opposite): DEBUG for runserver's
# static files and error pages, DEMO for the demo app (seed commands, the mail sink and its
# pages at /crm/sent-mail/), DEMO_TIME_COMPRESSION for a day's pacing in 2.4 minutes, and
# MAIL_ALLOW_PRIVATE_HOSTS so the account forms and connection tests reach the sink on 127.0.0.1.
export DEBUG=1 DEMO=1 DEMO_TIME_COMPRESSION=600
export MAIL_ALLOW_PRIVATE_HOSTS=${MAIL_ALLOW_PRIVATE_HOSTS:-true}

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt

.venv/bin/python manage.py migrate --verbosity 0
.venv/bin/python manage.py seed_demo

# The drip engine needs a broker: use the Redis on localhost, or start one (installing
# Debian's redis-server when it is missing), kept in memory only.
redis_up() { .venv/bin/python -c "import redis; redis.Redis(socket_connect_timeout=1).ping()" 2>/dev/null; }
if ! redis_up; then
    if ! command -v redis-server >/dev/null; then
        echo "Installing Debian's redis-server (the Celery broker)…"
        SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
        $SUDO apt-get update -qq && $SUDO apt-get install -y -qq redis-server >/dev/null
    fi
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
    for _ in $(seq 50); do redis_up && break; sleep 0.1; done
fi

# Demo mail accounts deliver to a local sink (read at /crm/sent-mail/).
SINK_PORT=${SINK_PORT:-2525}
.venv/bin/python manage.py seed_drip_demo --sink-port "$SINK_PORT"

children=()
cleanup() {
    trap - INT TERM EXIT
    for pid in "${children[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

.venv/bin/python manage.py mail_sink --port "$SINK_PORT" &
children+=($!)
# SQLite has no row locks: one worker process (see README, Operators, for production).
POOL=(--pool=solo)
case "${DATABASE_URL:-sqlite}" in postgres*) POOL=(--pool=prefork -c 2) ;; esac
.venv/bin/celery -A config worker "${POOL[@]}" --loglevel=warning &
children+=($!)
.venv/bin/celery -A config beat --loglevel=warning --schedule "${TMPDIR:-/tmp}/crm-demo-celerybeat-schedule" &
children+=($!)

echo "Open http://127.0.0.1:8000/crm/ and log in with one of the users above."
echo "The demo mailing drips out to the sink: see http://127.0.0.1:8000/crm/sent-mail/"
.venv/bin/python manage.py runserver 127.0.0.1:8000 &
children+=($!)
wait "${children[-1]}"
