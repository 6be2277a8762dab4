#!/usr/bin/env bash
# Installs what the tests need, starts PostgreSQL and Redis when they are not running, and
# runs lint, the layers contract, the migration check and the whole suite against PostgreSQL,
# then the inbox, timeline and compose tests on SQLite. No input needed.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/services.sh

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt

export DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export DJANGO_ALLOW_ASYNC_UNSAFE=true
# DEBUG is off unless set, as in production; then the settings need a SECRET_KEY: a random one
# for this run (the Celery workers some tests start inherit it).
SECRET_KEY="${SECRET_KEY:-$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')}"
export SECRET_KEY

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== layers (import-linter: .importlinter)"
.venv/bin/lint-imports
echo "== migrations"
.venv/bin/python manage.py makemigrations --check --dry-run
echo "== pytest"
.venv/bin/python -m pytest -n "${TEST_WORKERS:-2}" "$@"
if [ "$#" -eq 0 ]; then
    # The inbox, the timeline and compose on SQLite too: what a new user runs first.
    echo "== pytest on SQLite (inbox, timeline, compose)"
    DATABASE_URL="sqlite:///$(mktemp -d)/test.sqlite3" .venv/bin/python -m pytest -n "${TEST_WORKERS:-2}" \
        -m "not browser" correspondence/tests/test_inbox.py correspondence/tests/test_compose.py \
        correspondence/tests/test_assignment.py massmail/tests/test_record_timeline.py
fi
