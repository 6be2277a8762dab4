"""Engagement reports of mailings: per mailing and per mailing template (`massmail.Message`).

Figures of a mailing are one aggregate query over its recipient rows, each row flagged by
EXISTS subqueries (opened, clicked, replied, unsubscribed, bounced), so the cost does not
grow with the number of events. The figures mean what `correspondence.reports` says, for
recipient rows: sent is `sent_at` set; bounced also counts rows that failed after sending.
"""

import csv
import io

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q
from django.db.models.functions import Lower, TruncDate

from correspondence.models import CrmEmail, TrackingEvent
from correspondence.reports import Figures, add_events, csv_cell, human_events
from massmail import returns
from massmail.models import MailingRecipient, Suppression

# --- mailings and their messages ------------------------------------------------------------


def _event_exists(kind):
    return Exists(TrackingEvent.objects.filter(mailing_recipient=OuterRef("pk"), kind=kind, is_machine=False))


def annotated_recipients(recipients):
    """Recipient rows with the boolean engagement flags the figures count."""
    suppressed = Suppression.objects.filter(email=Lower(OuterRef("email")))
    return recipients.filter(sent_at__isnull=False).annotate(
        has_open=_event_exists(TrackingEvent.Kind.OPEN),
        has_click=_event_exists(TrackingEvent.Kind.CLICK),
        has_reply=Exists(  # an auto-reply is not the client's reply
            CrmEmail.objects.filter(
                direction=CrmEmail.Direction.INCOMING, in_reply_to=OuterRef("message_id"), is_auto_reply=False
            ).exclude(in_reply_to="")
        ),
        is_unsubscribed=Exists(
            suppressed.filter(reason=Suppression.Reason.UNSUBSCRIBED, created_at__gte=OuterRef("sent_at"))
        ),
        is_bounced=ExpressionWrapper(
            Exists(suppressed.filter(reason=Suppression.Reason.BOUNCED))
            | Q(status=MailingRecipient.Status.FAILED),
            output_field=BooleanField(),
        ),
    )


def recipient_figures(recipients):
    """Figures of a queryset of MailingRecipient rows (one mailing, or many)."""
    delivered = Q(is_bounced=False)
    counts = annotated_recipients(recipients).aggregate(
        sent=Count("pk"),
        bounced=Count("pk", filter=Q(is_bounced=True)),
        opened=Count("pk", filter=delivered & (Q(has_open=True) | Q(has_click=True))),
        clicked=Count("pk", filter=delivered & Q(has_click=True)),
        replied=Count("pk", filter=delivered & Q(has_reply=True)),
        unsubscribed=Count("pk", filter=delivered & Q(is_unsubscribed=True)),
        **returns.returned_figures(),
    )
    figures = Figures(**counts, delivered=counts["sent"] - counts["bounced"])
    add_events(figures, TrackingEvent.objects.filter(mailing_recipient__in=recipients))
    return figures


def mailing_figures(mailing):
    return recipient_figures(MailingRecipient.objects.filter(mailing=mailing))


def message_figures(message):
    """A mailing template (`massmail.Message`): every mailing made from it."""
    return recipient_figures(MailingRecipient.objects.filter(mailing__message=message))


def recipient_rows(recipients):
    """One row per sent recipient with its events: the CSV export of a mailing."""
    rows = annotated_recipients(recipients).annotate(
        open_events=human_events(TrackingEvent.Kind.OPEN),
        click_events=human_events(TrackingEvent.Kind.CLICK),
        machine_events=Count("tracking_events", filter=Q(tracking_events__is_machine=True)),
    )
    return rows.order_by("sent_at", "pk")


def recipients_csv(recipients):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "email",
            "status",
            "sent_at",
            "opens",
            "clicks",
            "machine_events",
            "replied",
            "unsubscribed",
            "bounced",
        ]
    )
    for row in recipient_rows(recipients):
        writer.writerow(
            [
                csv_cell(row.email),
                row.status,
                row.sent_at.isoformat(),
                row.open_events,
                row.click_events,
                row.machine_events,
                int(row.has_reply),
                int(row.is_unsubscribed),
                int(row.is_bounced),
            ]
        )
    return out.getvalue()


def sent_per_day(account, first, tz):
    """{day: mailing messages sent through the account}: the account page's usage chart."""
    return dict(
        MailingRecipient.objects.filter(
            account=account, status=MailingRecipient.Status.SENT, sent_at__date__gte=first
        )
        .annotate(day=TruncDate("sent_at", tzinfo=tz))
        .values_list("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
