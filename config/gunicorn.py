"""gunicorn's settings for the web process (README, Production):

    gunicorn -c config/gunicorn.py config.wsgi

Each value can be overridden on the command line (`--bind`, `--workers`, …); gunicorn also
reads WEB_CONCURRENCY for the number of workers and GUNICORN_CMD_ARGS for any option.
"""

import os

from prometheus_client import multiprocess

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))  # about 2 per core: requests wait on PostgreSQL
timeout = 30
graceful_timeout = 20
accesslog = "-"  # one line per request on stdout, beside the application's log on stderr
# The control socket lives in $HOME/.gunicorn/ by default: two gunicorns on one machine
# would share it. Nothing here uses it.
control_socket_disable = True


def child_exit(server, worker):
    # /metrics in multiprocess mode: a dead worker's live gauges must not be summed any more.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
