"""The /crm/ home: what needs doing today for the user, in their scope.

Plain queries over the `visible_to` managers (a sales manager sees their own, a department
head their department, a company manager everything); the index template renders it
through the `home` tag, so the crm app never imports this module.
"""

from dataclasses import dataclass, field

from django.db.models import Q
from django.urls import reverse

from correspondence.inbox import mail_of
from crm.roles import Role, role_of
from mailaccounts.accounts import local_today
from mailaccounts.models import EmailAccount
from massmail import live
from massmail.models import Mailing

SHOWN = 20


@dataclass
class Item:
    text: str
    url: str


@dataclass
class Home:
    sending: list = field(default_factory=list)  # [(mailing, MailingState)]
    unread: int = 0
    assigned_unread: int = 0
    accounts: list = field(default_factory=list)  # [Item]
    failing: list = field(default_factory=list)  # [Item]
    show_owner: bool = False  # a head or manager sees colleagues' mailings: whose is each


def _mailing_url(mailing):
    return reverse("crm:massmail_mailing_change", args=[mailing.pk])


def accounts_needing_attention(user):
    today = local_today()
    accounts = EmailAccount.objects.visible_to(user).distinct().order_by("email")
    trouble = accounts.filter(
        Q(needs_reconnect=True)
        | Q(is_active=False)
        | ~Q(last_error="")
        | Q(massmail=True, sent_today_date=today)
    )
    items = []
    for account in trouble[: SHOWN * 2]:
        url = reverse("crm:mailaccounts_emailaccount_change", args=[account.pk])
        if account.needs_reconnect:
            items.append(Item(f"{account.email}: needs to be reconnected", url))
        elif not account.is_active:
            items.append(Item(f"{account.email}: disabled. {account.last_error}".strip(), url))
        elif account.last_error:
            items.append(Item(f"{account.email}: {account.last_error[:200]}", url))
        elif account.massmail and account.sent_on(today) >= account.daily_limit:
            items.append(Item(f"{account.email}: daily limit of {account.daily_limit} reached", url))
    return items[:SHOWN]


def home_for(user):
    mailings = Mailing.objects.visible_to(user).select_related("owner")
    own_only = role_of(user) is Role.SALES_MANAGER
    if own_only:  # colleagues' mailings are on the list, not their home
        mailings = mailings.filter(owner=user)
    running = list(
        mailings.filter(
            status__in=[Mailing.Status.ACTIVE, Mailing.Status.ACTIVE_ERROR, Mailing.Status.SCHEDULED]
        ).order_by("-created_at")[:SHOWN]
    )
    states = live.states_of(running)
    failing = mailings.filter(status__in=[Mailing.Status.ACTIVE_ERROR, Mailing.Status.INTERRUPTED])
    return Home(
        sending=[(mailing, states[mailing.pk]) for mailing in running],
        unread=mail_of(user, unread=True).count(),
        assigned_unread=mail_of(user, unread=True, assigned_to_me=True).count(),
        accounts=accounts_needing_attention(user),
        failing=[
            Item(f"{m}: {m.get_status_display()}", _mailing_url(m))
            for m in failing.order_by("-created_at")[:SHOWN]
        ],
        show_owner=not own_only,
    )
