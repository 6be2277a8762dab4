import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# IMAP import: each tick enqueues one sync per account whose sync_interval has passed.
app.conf.beat_schedule["poll-imap-accounts"] = {
    "task": "mailaccounts.tasks.poll_imap_accounts",
    "schedule": 60.0,
}

# One-to-one mail (correspondence/compose.py, correspondence/inbox.py).
app.conf.beat_schedule["send-scheduled-emails"] = {
    "task": "correspondence.tasks.send_scheduled_emails",
    "schedule": 30.0,
}
app.conf.beat_schedule["route-new-mail"] = {"task": "correspondence.tasks.route_new_mail", "schedule": 60.0}
app.conf.beat_schedule["daily-digests"] = {
    "task": "correspondence.tasks.send_daily_digests",
    "schedule": crontab(hour=7, minute=0),
}

# The drip engine (massmail/tasks.py): plan every few seconds, janitor every minute, and the
# day's counters reset soon after midnight of MassmailSettings.time_zone (the task is idempotent).
app.conf.beat_schedule["massmail-plan-sends"] = {"task": "massmail.tasks.plan_sends", "schedule": 5.0}
app.conf.beat_schedule["massmail-release-stuck-sends"] = {
    "task": "massmail.tasks.release_stuck_sends",
    "schedule": 60.0,
}
app.conf.beat_schedule["massmail-reset-daily-counters"] = {
    "task": "massmail.tasks.reset_daily_counters",
    "schedule": crontab(minute="*/5"),
}
