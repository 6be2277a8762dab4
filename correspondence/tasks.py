"""Celery shells around the one-to-one mail functions; the management commands call the same ones."""

from celery import shared_task

from correspondence import compose, inbox


@shared_task(ignore_result=True)
def send_scheduled_emails():
    return compose.send_scheduled_emails()


@shared_task(ignore_result=True)
def route_new_mail():
    return inbox.route_new_mail()


@shared_task(ignore_result=True)
def send_daily_digests():
    return inbox.send_daily_digests()
