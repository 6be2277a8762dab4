"""Celery shells around crm's record import and export; the pages and commands call the same ones."""

from celery import shared_task

from crm import exporting, importing


@shared_task(ignore_result=True)
def run_import(job_id):
    """A large import from the import page (crm/importing.py)."""
    importing.run_queued_import(job_id)


@shared_task(ignore_result=True)
def run_export(job_id):
    """A large export of a /crm/ list (crm/exporting.py)."""
    exporting.run_export(job_id)
