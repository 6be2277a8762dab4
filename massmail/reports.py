"""Engagement reports: per one-to-one email, per mailing, per template.

Figures of a mailing are one aggregate query over its recipient rows, each row flagged by
EXISTS subqueries (opened, clicked, replied, unsubscribed, bounced), so the cost does not
grow with the number of events. Definitions, stated once here and on the page:

- sent: rows that went out (`sent_at` set), whatever happened after;
- bounced: sent rows that failed afterwards or whose address was suppressed as a bounce;
- delivered: sent minus bounced;
- opened: delivered rows with a human open, or a human click (images may be blocked);
- clicked: delivered rows with a human click; replied: an incoming email answering ours
  (auto-replies are not replies);
- unsubscribed: the address unsubscribed after the message was sent.

Rates are over delivered, except bounced and delivered, which are over sent. Machine
events (privacy proxies, link scanners; see `massmail.tracking`) are counted apart.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q
from django.db.models.functions import Lower, TruncDate

from massmail import returns
from massmail.models import MailingRecipient, Suppression, TrackingEvent

FIGURES = ["sent", "delivered", "opened", "clicked", "replied", "unsubscribed", "bounced"]


@dataclass
class Figures:
    sent: int = 0
    delivered: int = 0
    opened: int = 0
    clicked: int = 0
    replied: int = 0
    unsubscribed: int = 0
    bounced: int = 0
    bounced_hard: int = 0  # of the bounced, by what came back (massmail/returns.py)
    bounced_soft: int = 0
    complained: int = 0
    opens: int = 0  # every human open event, not unique
    clicks: int = 0
    machine_opens: int = 0
    machine_clicks: int = 0
    series: list = field(default_factory=list)  # [(date, human opens, human clicks)]
    links: list = field(default_factory=list)  # [(url, human clicks, unique clickers)]

    def rate(self, name):
        base = self.sent if name in ("delivered", "bounced", "sent") else self.delivered
        return getattr(self, name) / base if base else 0.0

    def rows(self):
        """(label, count, rate) in the order of FIGURES."""
        return [(name, getattr(self, name), self.rate(name)) for name in FIGURES]


# --- mailings and their messages ------------------------------------------------------------


def _event_exists(kind):
    return Exists(TrackingEvent.objects.filter(mailing_recipient=OuterRef("pk"), kind=kind, is_machine=False))


def annotated_recipients(recipients):
    """Recipient rows with the boolean engagement flags the figures count."""
    from crm.models import CrmEmail

    suppressed = Suppression.objects.filter(email=Lower(OuterRef("email")))
    return recipients.filter(sent_at__isnull=False).annotate(
        has_open=_event_exists(TrackingEvent.Kind.OPEN),
        has_click=_event_exists(TrackingEvent.Kind.CLICK),
        has_reply=Exists(  # an auto-reply is not the client's reply
            CrmEmail.objects.filter(
                direction="in", in_reply_to=OuterRef("message_id"), is_auto_reply=False
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
    _add_events(figures, TrackingEvent.objects.filter(mailing_recipient__in=recipients))
    return figures


def mailing_figures(mailing):
    return recipient_figures(MailingRecipient.objects.filter(mailing=mailing))


def message_figures(message):
    """A mailing template (`massmail.Message`): every mailing made from it."""
    return recipient_figures(MailingRecipient.objects.filter(mailing__message=message))


def recipient_rows(recipients):
    """One row per sent recipient with its events: the CSV export of a mailing."""
    rows = annotated_recipients(recipients).annotate(
        open_events=Count(
            "tracking_events", filter=Q(tracking_events__kind="open", tracking_events__is_machine=False)
        ),
        click_events=Count(
            "tracking_events", filter=Q(tracking_events__kind="click", tracking_events__is_machine=False)
        ),
        machine_events=Count("tracking_events", filter=Q(tracking_events__is_machine=True)),
    )
    return rows.order_by("sent_at", "pk")


# --- one-to-one email -----------------------------------------------------------------------


def email_figures(emails):
    """Figures of outgoing CrmEmail rows (a template's, or one), in four queries."""
    from crm.models import CrmEmail

    emails = list(
        emails.filter(direction="out", status__in=["sent", ""]).values(
            "pk", "recipients", "date", "message_id"
        )
    )
    ids = [e["pk"] for e in emails]
    addresses = {
        e["pk"]: [a.strip().lower() for a in e["recipients"].split(",") if a.strip()] for e in emails
    }
    suppressions = {}
    for email, reason, created in Suppression.objects.filter(
        email__in=[a for group in addresses.values() for a in group]
    ).values_list("email", "reason", "created_at"):
        suppressions[email] = (reason, created)
    replied_to = set(
        CrmEmail.objects.filter(
            direction="in",
            in_reply_to__in=[e["message_id"] for e in emails if e["message_id"]],
            is_auto_reply=False,
        )
        .values_list("in_reply_to", flat=True)
        .distinct()
    )
    engaged = {
        (row["crm_email"], row["kind"])
        for row in TrackingEvent.objects.filter(crm_email__in=ids, is_machine=False).values(
            "crm_email", "kind"
        )
    }
    figures = Figures(sent=len(emails))
    for e in emails:
        states = [suppressions.get(a) for a in addresses[e["pk"]]]
        if any(s and s[0] == Suppression.Reason.BOUNCED for s in states):
            figures.bounced += 1
            continue
        figures.delivered += 1
        clicked = (e["pk"], "click") in engaged
        figures.opened += clicked or (e["pk"], "open") in engaged
        figures.clicked += clicked
        figures.replied += bool(e["message_id"]) and e["message_id"] in replied_to
        figures.unsubscribed += any(
            s and s[0] == Suppression.Reason.UNSUBSCRIBED and e["date"] and s[1] >= e["date"] for s in states
        )
    _add_events(figures, TrackingEvent.objects.filter(crm_email__in=ids))
    return figures


def link_clicks(events):
    """[(url, human clicks, unique clickers)] of some events, most clicked first."""
    rows = (
        events.filter(kind=TrackingEvent.Kind.CLICK, is_machine=False)
        .values("url")
        .annotate(
            clicks=Count("pk"),
            people=Count("mailing_recipient", distinct=True) + Count("crm_email", distinct=True),
        )
        .order_by("-clicks", "url")
    )
    return [(row["url"], row["clicks"], row["people"]) for row in rows]


def email_events(crm_email):
    """Every open and click of one email, oldest first, machines included and marked."""
    return list(crm_email.tracking_events.order_by("created_at", "pk"))


# --- shared ------------------------------------------------------------------------------------


def _add_events(figures, events):
    figures.links = link_clicks(events)
    for row in events.values("kind", "is_machine").annotate(n=Count("pk")):
        name = ("machine_" if row["is_machine"] else "") + ("opens" if row["kind"] == "open" else "clicks")
        setattr(figures, name, row["n"])
    figures.series = daily_series(events)


def daily_series(events):
    """[(date, human opens, human clicks)] for every day from the first event to the last."""
    per_day = {}
    rows = (
        events.filter(is_machine=False)
        .annotate(day=TruncDate("created_at"))
        .values("day", "kind")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        opens, clicks = per_day.get(row["day"], (0, 0))
        per_day[row["day"]] = (
            (opens + row["n"], clicks) if row["kind"] == "open" else (opens, clicks + row["n"])
        )
    if not per_day:
        return []
    day, last = min(per_day), max(per_day)
    series = []
    while day <= last:
        series.append((day, *per_day.get(day, (0, 0))))
        day += timedelta(days=1)
    return series


def svg_chart(series, width=600, height=200):
    """An inline SVG line chart of human opens and clicks per day; numbers only, no markup in."""
    if not series:
        return '<p class="help">No opens or clicks yet.</p>'
    pad_left, pad_bottom, pad_top = 40, 30, 20
    top = max(max(o, c) for _, o, c in series) or 1
    inner_w, inner_h = width - pad_left - 10, height - pad_bottom - pad_top
    step = inner_w / max(len(series) - 1, 1)

    def point(i, value):
        return f"{pad_left + i * step:.1f},{pad_top + inner_h - value / top * inner_h:.1f}"

    opens = " ".join(point(i, o) for i, (_, o, _) in enumerate(series))
    clicks = " ".join(point(i, c) for i, (_, _, c) in enumerate(series))
    first, last = series[0][0].isoformat(), series[-1][0].isoformat()
    total_o, total_c = sum(o for _, o, _ in series), sum(c for _, _, c in series)
    return (
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>Opens ({total_o}) and clicks ({total_c}) per day, '
        f"{first} to {last}</title>"
        f'<line x1="{pad_left}" y1="{pad_top + inner_h}" x2="{width - 10}" y2="{pad_top + inner_h}" stroke="#999"/>'
        f'<line x1="{pad_left}" y1="{pad_top}" x2="{pad_left}" y2="{pad_top + inner_h}" stroke="#999"/>'
        f'<text x="{pad_left - 5}" y="{pad_top + 4}" text-anchor="end" font-size="11">{top}</text>'
        f'<text x="{pad_left - 5}" y="{pad_top + inner_h}" text-anchor="end" font-size="11">0</text>'
        f'<text x="{pad_left}" y="{height - 8}" font-size="11">{first}</text>'
        f'<text x="{width - 10}" y="{height - 8}" text-anchor="end" font-size="11">{last}</text>'
        f'<polyline class="opens" fill="none" stroke="#2a6ebb" stroke-width="2" points="{opens}"/>'
        f'<polyline class="clicks" fill="none" stroke="#d9822b" stroke-width="2" points="{clicks}"/>'
        f'<text x="{width - 10}" y="12" text-anchor="end" font-size="11">'
        f'<tspan fill="#2a6ebb">opens</tspan> <tspan fill="#d9822b">clicks</tspan></text></svg>'
    )


def _cell(value):
    """A CSV cell a spreadsheet will not run as a formula (addresses and URLs come from outside)."""
    return f"'{value}" if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") else value


def figures_csv(figures, title=""):
    """The figures, their rates and the daily series as CSV text."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["report", _cell(title)])
    writer.writerow(["figure", "count", "rate"])
    for name, count, rate in figures.rows():
        writer.writerow([name, count, f"{rate:.4f}"])
    for name in ("opens", "clicks", "machine_opens", "machine_clicks"):
        writer.writerow([name, getattr(figures, name), ""])
    writer.writerow([])
    writer.writerow(["date", "opens", "clicks"])
    for day, opens, clicks in figures.series:
        writer.writerow([day.isoformat(), opens, clicks])
    return out.getvalue()


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
                _cell(row.email),
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
