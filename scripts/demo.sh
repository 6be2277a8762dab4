#!/usr/bin/env bash
# Installs and starts the whole system with demo data on the embedded default (SQLite):
# the site at http://127.0.0.1:8000/. Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt

.venv/bin/python manage.py migrate --verbosity 0
.venv/bin/python manage.py seed_demo

echo "Open http://127.0.0.1:8000/crm/ and log in with one of the users above."
exec .venv/bin/python manage.py runserver 127.0.0.1:8000
