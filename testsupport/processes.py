"""Server processes for tests and benchmarks: each in its own process group, stopped with
everything it started (a gunicorn's or a Celery worker's children too), its log kept."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit


@contextlib.contextmanager
def process_group(args, *, cwd, env, log_path: Path, stop_timeout=10, tail=3000):
    """Run `args` with its output in `log_path`; on exit SIGTERM it (a graceful stop: a
    running task or request finishes), wait, then SIGKILL whatever is left of its group.
    The log's last `tail` characters go to stderr, where pytest shows them on failure."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            args, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=stop_timeout)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # children that outlived their parent
        process.wait(timeout=5)
        wait_until_gone(process.pid)
        if tail:
            sys.stderr.write(Path(log_path).read_text(errors="replace")[-tail:])


def wait_until_gone(pgid, timeout=5):
    """Until no process of the group runs any more."""
    deadline = time.monotonic() + timeout
    while group_alive(pgid):
        if time.monotonic() > deadline:
            raise RuntimeError(f"process group {pgid} is still alive after SIGKILL")
        time.sleep(0.05)


def group_alive(pgid) -> bool:
    """True while a running process of the group exists (zombies, already dead, do not count)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # it ended while we looked
            continue
        state, group = fields[0], int(fields[2])  # stat(5): state, ppid, pgrp
        if group == pgid and state != "Z":
            return True
    return False


def production_env(*, site_url, database_url, static_root, **extra):
    """The environment of a production process (README, Production: DEBUG off, fresh secrets),
    for a server on `site_url`'s host; `extra` adds or overrides variables."""
    from cryptography.fernet import Fernet

    return {
        **os.environ,
        "DEBUG": "False",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": urlsplit(site_url).hostname,
        "SITE_URL": site_url,
        "DATABASE_URL": database_url,
        "STATIC_ROOT": str(static_root),
        **extra,
    }


def manage(root, env, *args, timeout=300):
    """`python manage.py ARGS` in the checkout at `root`, with `env`; fails loudly."""
    subprocess.run([sys.executable, "manage.py", *args], cwd=root, env=env, check=True, timeout=timeout)
