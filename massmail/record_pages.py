"""What massmail adds to a Company/Contact/Lead page (registered with crm/record_pages.py in
`MassmailConfig.ready()`): why its address gets no newsletters, and the mailings it received
as lines of the correspondence timeline."""

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce, Lower
from django.template.loader import render_to_string
from django.urls import reverse

from correspondence.models import TrackingEvent
from correspondence.reports import human_events
from crm.record_pages import TimelineEntry
from massmail.compiling import subject_for
from massmail.mailings import FOREIGN_KEY, recipient_types
from massmail.models import MailingRecipient, Suppression, normalize_email

Status = MailingRecipient.Status
# Rows whose message has not gone out yet are not something the record received.
NOT_YET = (Status.PENDING, Status.SENDING)


def suppression_panel(request, record) -> str:
    address = normalize_email(getattr(record, "email", ""))
    suppression = Suppression.objects.filter(email=address).first() if address else None
    if suppression is None:
        return ""
    return render_to_string("massmail/record_suppression.html", {"suppression": suppression}, request=request)


def mailings_received(record, user, limit=100):
    """The record's rows in the mailings `user` sees, newest first, each with `states` (what
    became of it: [(label, css class, detail)]) and `mailing_url` ("" when the user may not
    open mailings). One query, however many mailings."""
    recipient_type = recipient_types().get(type(record))
    if recipient_type is None:  # Requests and Deals are not mailed
        return []
    unsubscribed = Suppression.objects.filter(
        email=Lower(OuterRef("email")),
        reason=Suppression.Reason.UNSUBSCRIBED,
        created_at__gte=OuterRef("sent_at"),
    )
    rows = list(
        MailingRecipient.objects.visible_to(user)
        .filter(**{FOREIGN_KEY[recipient_type]: record})
        .exclude(status__in=NOT_YET)
        .select_related("mailing__message", "mailing__owner", "account")
        .annotate(
            # A skipped row has no time of its own: it was skipped when its mailing was made.
            happened_at=Coalesce("sent_at", "claimed_at", "mailing__created_at"),
            opens=human_events(TrackingEvent.Kind.OPEN),
            clicks=human_events(TrackingEvent.Kind.CLICK),
            unsubscribed_at=Subquery(unsubscribed.order_by("created_at").values("created_at")[:1]),
        )
        .order_by("-happened_at", "-pk")[:limit]
    )
    may_open = user.has_perm("massmail.view_mailing")
    unsubscribed_from = set()
    subjects = {}  # one render per mailing
    for row in rows:
        if row.mailing_id not in subjects:
            subjects[row.mailing_id] = subject_for(row.mailing, record)
        row.subject = subjects[row.mailing_id]
        # The unsubscribe belongs to the last mailing the address got before it, not to all.
        led_to_unsubscribe = row.unsubscribed_at is not None and row.email not in unsubscribed_from
        if led_to_unsubscribe:
            unsubscribed_from.add(row.email)
        row.states = states_of(row, led_to_unsubscribe)
        row.mailing_url = reverse("crm:massmail_mailing_change", args=[row.mailing_id]) if may_open else ""
    return rows


def states_of(row, unsubscribed):
    """What became of one recipient row, as badges: [(label, css class, detail)]."""
    if row.status == Status.SKIPPED:
        states = [("skipped", "", row.skip_reason)]
    elif row.bounced_at is not None:
        detail = f"{row.get_bounce_reason_display()}: {row.bounce_diagnostic}".strip(": ")
        states = [("bounced", "error", detail)]
    elif row.status == Status.FAILED:
        states = [("failed", "error", row.last_error)]
    elif row.status == Status.UNCERTAIN:
        states = [("may have been sent", "", "The sender stopped while sending it; it is not resent.")]
    else:
        states = [("sent", "ok", "")]
    if row.opens or row.clicks:
        states.append(("opened", "ok", f"{row.opens} opens" if row.opens else "A click counts as an open"))
    if row.clicks:
        states.append(("clicked", "ok", f"{row.clicks} clicks"))
    if row.complained_at is not None:
        states.append(("complained", "error", "Marked it as spam"))
    if unsubscribed:
        states.append(("unsubscribed", "error", ""))
    return states


def mailing_entries(request, record, limit):
    """The correspondence timeline's lines for the mailings the record received."""
    return [
        TimelineEntry(row.happened_at, "massmail/timeline_mailing.html", row)
        for row in mailings_received(record, request.user, limit)
    ]
