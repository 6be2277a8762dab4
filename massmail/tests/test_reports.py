import csv
import datetime as dt
import io

import pytest

from correspondence import reports as email_reports
from correspondence.models import CrmEmail, EmailTemplate, TrackingEvent
from massmail import reports
from massmail.models import Mailing, MailingRecipient, Message, Suppression

SENT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def event(kind, when, machine=False, **target):
    return TrackingEvent.objects.create(kind=kind, created_at=when, is_machine=machine, **target)


@pytest.fixture
def mailing(alice):
    """Ten recipients: 9 sent (2 of them bounced), 1 still pending; events spread over 3 days."""
    message = Message.objects.create(owner=alice, subject="Spring", body="{{ unsubscribe_url }}")
    mailing = Mailing.objects.create(owner=alice, message=message, recipient_type="contacts")
    r = [
        MailingRecipient.objects.create(
            mailing=mailing,
            email=f"R{i}@example.com",
            status="sent",
            sent_at=SENT,
            message_id=f"<m{i}@crm.test>",
        )
        for i in range(10)
    ]
    MailingRecipient.objects.filter(pk=r[8].pk).update(status="failed")  # refused after it was sent
    MailingRecipient.objects.filter(pk=r[9].pk).update(status="pending", sent_at=None)
    Suppression.suppress("r7@example.com", Suppression.Reason.BOUNCED)
    Suppression.suppress("r6@example.com", Suppression.Reason.UNSUBSCRIBED)

    event("open", SENT + dt.timedelta(hours=1), mailing_recipient=r[0])
    event("open", SENT + 2 * DAY, mailing_recipient=r[0])  # twice: one unique open
    event("open", SENT + dt.timedelta(seconds=2), machine=True, mailing_recipient=r[1])  # a proxy only
    event("click", SENT + dt.timedelta(hours=2), mailing_recipient=r[2], url="https://a.test/")  # no pixel
    event("open", SENT + dt.timedelta(hours=3), mailing_recipient=r[3])
    event("click", SENT + DAY, mailing_recipient=r[3], url="https://a.test/")
    event("click", SENT + dt.timedelta(seconds=3), machine=True, mailing_recipient=r[4])  # a scanner only
    event("open", SENT + dt.timedelta(hours=1), mailing_recipient=r[7])  # bounced later: not delivered
    CrmEmail.objects.create(direction="in", subject="Re: Spring", in_reply_to="<m5@crm.test>")
    return mailing


def test_mailing_figures_on_a_seeded_mailing(mailing):
    figures = reports.mailing_figures(mailing)
    assert [(name, count) for name, count, _ in figures.rows()] == [
        ("sent", 9),
        ("delivered", 7),
        ("opened", 3),
        ("clicked", 2),
        ("replied", 1),
        ("unsubscribed", 1),
        ("bounced", 2),
    ]
    assert figures.rate("opened") == pytest.approx(3 / 7)
    assert figures.rate("bounced") == pytest.approx(2 / 9)
    assert (figures.opens, figures.clicks, figures.machine_opens, figures.machine_clicks) == (4, 2, 1, 1)
    assert figures.links == [("https://a.test/", 2, 2)]


def test_daily_series_counts_human_events_and_fills_empty_days(mailing):
    series = reports.mailing_figures(mailing).series
    assert series == [
        (dt.date(2026, 3, 2), 3, 1),
        (dt.date(2026, 3, 3), 0, 1),
        (dt.date(2026, 3, 4), 1, 0),
    ]


def test_message_figures_add_up_its_mailings(mailing, alice):
    again = Mailing.objects.create(owner=alice, message=mailing.message, recipient_type="contacts")
    MailingRecipient.objects.create(mailing=again, email="new@example.com", status="sent", sent_at=SENT)
    figures = reports.message_figures(mailing.message)
    assert (figures.sent, figures.delivered, figures.opened) == (10, 8, 3)


def test_no_figures_no_division_by_zero(alice):
    message = Message.objects.create(owner=alice, subject="Empty", body="x")
    figures = reports.message_figures(message)
    assert figures.rate("opened") == 0.0
    assert "No opens" in email_reports.svg_chart(figures.series)


def test_template_figures_of_one_to_one_email(alice):
    template = EmailTemplate.objects.create(owner=alice, name="Follow-up", body="Hi")

    def sent(to, **extra):
        return CrmEmail.objects.create(
            direction="out", status="sent", template=template, recipients=to, date=SENT, **extra
        )

    opened = sent("a@example.com")
    sent("B@example.com")
    sent("c@example.com", message_id="<c@crm.test>")
    CrmEmail.objects.create(direction="out", status="draft", template=template, recipients="d@example.com")
    Suppression.suppress("b@example.com", Suppression.Reason.BOUNCED)
    CrmEmail.objects.create(direction="in", in_reply_to="<c@crm.test>")
    event("open", SENT + DAY, crm_email=opened)
    event("open", SENT + DAY, machine=True, crm_email=opened)

    figures = email_reports.email_figures(template.emails.all())
    assert (figures.sent, figures.delivered, figures.bounced, figures.opened, figures.replied) == (
        3,
        2,
        1,
        1,
        1,
    )
    assert (figures.opens, figures.machine_opens) == (1, 1)
    assert [e.kind for e in email_reports.email_events(opened)] == ["open", "open"]


def test_csv_exports(mailing):
    summary = list(
        csv.reader(io.StringIO(email_reports.figures_csv(reports.mailing_figures(mailing), "Spring")))
    )
    assert summary[0] == ["report", "Spring"]
    assert ["opened", "3", f"{3 / 7:.4f}"] in summary
    assert ["2026-03-03", "0", "1"] in summary

    rows = list(csv.DictReader(io.StringIO(reports.recipients_csv(mailing.recipients.all()))))
    assert len(rows) == 9
    first = next(row for row in rows if row["email"] == "R0@example.com")
    assert (first["opens"], first["clicks"], first["bounced"]) == ("2", "0", "0")
    assert next(row for row in rows if row["email"] == "R5@example.com")["replied"] == "1"


def test_chart_is_inline_svg(mailing):
    svg = email_reports.svg_chart(reports.mailing_figures(mailing).series)
    assert svg.startswith("<svg") and svg.count("<polyline") == 2
    assert "Opens (4) and clicks (2) per day, 2026-03-02 to 2026-03-04" in svg


def test_csv_cells_are_not_formulas(alice):
    message = Message.objects.create(owner=alice, subject="x", body="x")
    mailing = Mailing.objects.create(owner=alice, message=message, recipient_type="contacts")
    MailingRecipient.objects.create(mailing=mailing, email="=cmd@example.com", status="sent", sent_at=SENT)
    rows = list(csv.DictReader(io.StringIO(reports.recipients_csv(mailing.recipients.all()))))
    assert rows[0]["email"] == "'=cmd@example.com"


def test_mailing_figures_take_a_fixed_number_of_queries(mailing, django_assert_num_queries):
    # The flags, the event totals, the daily series and the links: however many rows and events.
    with django_assert_num_queries(4):
        reports.mailing_figures(mailing)
