"""Shared set-up for the drip engine's tests: accounts on a sink, a mailing of N contacts."""

from django.conf import settings as django_settings

from crm.models import Company, Contact
from mailaccounts.models import AccountGrant, EmailAccount
from massmail.mailings import create_mailing
from massmail.models import MassmailSettings, Message

BODY = "<p>Hello {{ first_name }}</p><p><a href='{{ unsubscribe_url }}'>Unsubscribe</a></p>"


def drip_settings(time_compression=1, **fields):
    """The drip's settings row for a test, and the demo's time compression (a Django setting,
    put back after each test by the `settings` fixture of crm/tests/fixtures.py)."""
    django_settings.DEMO_TIME_COMPRESSION = time_compression
    cfg = MassmailSettings.load()
    defaults = {"use_business_time": False, "time_zone": "UTC"}
    for name, value in {**defaults, **fields}.items():
        setattr(cfg, name, value)
    cfg.save()
    return cfg


def make_account(owner, sink, name, *, daily_limit=1000, is_main=False, shared_with=(), **fields):
    values = {
        "owner": None if shared_with else owner,
        "email": f"{name}@sender.test",
        "smtp_host": "127.0.0.1",
        "smtp_port": sink.port if sink else 1,
        "smtp_security": "none",
        "password": "",
        "massmail": True,
        "is_main": is_main,
        "daily_limit": daily_limit,
    }
    account = EmailAccount.objects.create(**{**values, **fields})
    for user, access in shared_with:
        AccountGrant.objects.create(account=account, user=user, access=access)
    return account


def make_mailing(owner, count, *, vip=0, prefix=None):
    """A mailing of `count` contacts of `owner`, the first `vip` of them VIP."""
    prefix = prefix or owner.username
    company = Company.objects.create(full_name=f"{prefix} Ltd", owner=owner)
    Contact.objects.bulk_create(
        Contact(
            company=company,
            owner=owner,
            department_id=owner.department_id,
            first_name=f"P{i}",
            email=f"{prefix}{i}@rcpt.test",
            is_vip=i < vip,
        )
        for i in range(count)
    )
    message = Message.objects.create(owner=owner, subject="News for {{ first_name }}", body=BODY)
    return create_mailing(owner, message, Contact.objects.filter(company=company))
