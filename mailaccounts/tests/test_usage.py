import datetime

import time_machine

from correspondence.models import CrmEmail
from mailaccounts.accounts import local_today
from mailaccounts.models import EmailAccount
from mailaccounts.usage import chart_bars, sent_per_day
from massmail.models import Mailing, MailingRecipient, Message

NOW = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)


def sent_recipients(mailing, account, *days_ago, status="sent"):
    for index, days in enumerate(days_ago):
        MailingRecipient.objects.create(
            mailing=mailing,
            email=f"{status}-{account.pk}-{index}@example.com",
            account=account,
            status=status,
            sent_at=NOW - datetime.timedelta(days=days),
        )


@time_machine.travel(NOW, tick=False)
def test_sent_per_day_counts_mailings_and_outgoing_mail_of_the_account(alice, django_assert_max_num_queries):
    account = EmailAccount.objects.create(owner=alice, email="alice@crm.test")
    other = EmailAccount.objects.create(owner=alice, email="other@crm.test")
    message = Message.objects.create(owner=alice, subject="Hi", body="{{ unsubscribe_url }}")
    mailing = Mailing.objects.create(owner=alice, message=message, recipient_type="contacts")
    sent_recipients(mailing, account, 0, 0, 1, 29, 30)  # 30 days ago is outside the window
    sent_recipients(mailing, account, 0, status="failed")
    sent_recipients(mailing, other, 0)
    CrmEmail.objects.create(account=account, direction="out", date=NOW - datetime.timedelta(days=1))
    CrmEmail.objects.create(account=account, direction="in", date=NOW)
    CrmEmail.objects.create(account=account, direction="out", status="draft", date=NOW)

    # One query per kind of sending (registered by massmail and correspondence), one for
    # the counters' time zone ("today" is the one of the daily counters).
    with django_assert_max_num_queries(3):
        days = sent_per_day(account)

    assert len(days) == 30 and days[-1].day == local_today()
    assert (days[-1].mailing, days[-1].direct) == (2, 0)
    assert (days[-2].mailing, days[-2].direct) == (1, 1)
    assert days[0].mailing == 1
    assert sum(d.total for d in days) == 5

    chart = chart_bars(days)
    assert chart["total"] == 5 and chart["peak"] == 2
    assert chart["bars"][-1]["height"] == chart["height"]
    assert chart["bars"][-2]["height"] == chart["height"]
    assert chart["bars"][1]["height"] == 0


def test_an_unused_account_has_an_empty_chart(alice):
    account = EmailAccount.objects.create(owner=alice, email="alice@crm.test")
    chart = chart_bars(sent_per_day(account))
    assert chart["total"] == 0 and chart["peak"] == 0
