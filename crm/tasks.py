"""Celery shells around crm's mail functions; the management commands call the same ones."""

from celery import shared_task

from crm import compose, exporting, importing, inbox


@shared_task(ignore_result=True)
def send_scheduled_emails():
    return compose.send_scheduled_emails()


@shared_task(ignore_result=True)
def route_new_mail():
    return inbox.route_new_mail()


@shared_task(ignore_result=True)
def send_daily_digests():
    return inbox.send_daily_digests()


@shared_task(ignore_result=True)
def run_import(job_id):
    """A large import from the import page (crm/importing.py)."""
    importing.run_queued_import(job_id)


@shared_task(ignore_result=True)
def run_export(job_id):
    """A large export of a /crm/ list (crm/exporting.py)."""
    exporting.run_export(job_id)
