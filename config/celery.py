import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# IMAP import: each tick enqueues one sync per account whose sync_interval has passed.
app.conf.beat_schedule["poll-imap-accounts"] = {
    "task": "mailaccounts.tasks.poll_imap_accounts",
    "schedule": 60.0,
}
