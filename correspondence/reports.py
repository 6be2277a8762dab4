"""Engagement reports of one-to-one email (per email, per email template), and the figures,
chart and CSV that mailing reports (massmail/reports.py) share.

Definitions, stated once here and on the page:

- sent: messages that went out, whatever happened after;
- bounced: sent messages whose address bounced;
- delivered: sent minus bounced;
- opened: delivered messages with a human open, or a human click (images may be blocked);
- clicked: delivered messages with a human click; replied: an incoming email answering ours
  (auto-replies are not replies);
- unsubscribed: the address unsubscribed after the message was sent.

Rates are over delivered, except bounced and delivered, which are over sent. Machine
events (privacy proxies, link scanners; see `correspondence.tracking`) are counted apart.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Q
from django.db.models.functions import Coalesce, TruncDate

from correspondence.models import CrmEmail, TrackingEvent

BOUNCED, UNSUBSCRIBED = "bounced", "unsubscribed"

# What became of an address (bounced, unsubscribed) is known to massmail, which registers a
# lookup in its AppConfig.ready(): `lookup(addresses)` -> {address: (state, since)}.
_address_state_lookups = []


def register_address_states(lookup):
    if lookup not in _address_state_lookups:
        _address_state_lookups.append(lookup)


# Reports of other kinds (massmail's mailings and mailing templates) join the reports page by
# registering a section, `items(user)` -> [(label, url, note)], and their pages' URL patterns.
_index_sections = []
_report_urls = []


def add_index_section(title, items):
    _index_sections[:] = [(t, i) for t, i in _index_sections if t != title] + [(title, items)]


def index_sections(user):
    return [(title, items(user)) for title, items in _index_sections]


def add_report_urls(patterns):
    names = {p.name for p in patterns}
    _report_urls[:] = [p for p in _report_urls if p.name not in names] + list(patterns)


def report_urls():
    return list(_report_urls)


def human_events(kind):
    """Count of the human (not machine) events of one kind over `tracking_events`: for
    annotating emails or mailing recipients."""
    return Count("tracking_events", filter=Q(tracking_events__kind=kind, tracking_events__is_machine=False))


def address_states(addresses) -> dict:
    states = {}
    for lookup in _address_state_lookups:
        states.update(lookup(addresses))
    return states


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


# --- one-to-one email -----------------------------------------------------------------------


def email_figures(emails):
    """Figures of outgoing CrmEmail rows (a template's, or one), in four queries."""
    emails = list(
        emails.filter(
            direction=CrmEmail.Direction.OUTGOING, status__in=[CrmEmail.Status.SENT, CrmEmail.Status.STORED]
        ).values("pk", "recipients", "date", "message_id")
    )
    ids = [e["pk"] for e in emails]
    addresses = {
        e["pk"]: [a.strip().lower() for a in e["recipients"].split(",") if a.strip()] for e in emails
    }
    suppressions = address_states([a for group in addresses.values() for a in group])
    replied_to = set(
        CrmEmail.objects.filter(
            direction=CrmEmail.Direction.INCOMING,
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
        if any(s and s[0] == BOUNCED for s in states):
            figures.bounced += 1
            continue
        figures.delivered += 1
        clicked = (e["pk"], "click") in engaged
        figures.opened += clicked or (e["pk"], "open") in engaged
        figures.clicked += clicked
        figures.replied += bool(e["message_id"]) and e["message_id"] in replied_to
        figures.unsubscribed += any(
            s and s[0] == UNSUBSCRIBED and e["date"] and s[1] >= e["date"] for s in states
        )
    add_events(figures, TrackingEvent.objects.filter(crm_email__in=ids))
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


def add_events(figures, events):
    figures.links = link_clicks(events)
    for row in events.values("kind", "is_machine").annotate(n=Count("pk")):
        name = ("machine_" if row["is_machine"] else "") + (
            "opens" if row["kind"] == TrackingEvent.Kind.OPEN else "clicks"
        )
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
            (opens + row["n"], clicks)
            if row["kind"] == TrackingEvent.Kind.OPEN
            else (opens, clicks + row["n"])
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


def csv_cell(value):
    """A CSV cell a spreadsheet will not run as a formula (addresses and URLs come from outside)."""
    return f"'{value}" if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") else value


def figures_csv(figures, title=""):
    """The figures, their rates and the daily series as CSV text."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["report", csv_cell(title)])
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


def sent_per_day(account, first, tz):
    """{day: one-to-one messages sent through the account}: the account page's usage chart."""
    return dict(
        CrmEmail.objects.filter(account=account, direction=CrmEmail.Direction.OUTGOING)
        .filter(status__in=[CrmEmail.Status.STORED, CrmEmail.Status.SENT])
        .annotate(day=TruncDate(Coalesce("date", "created_at"), tzinfo=tz))
        .filter(day__gte=first)
        .values_list("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
