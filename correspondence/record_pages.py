"""What correspondence adds to the pages of records (registered with crm.record_pages in
CorrespondenceConfig.ready): the "Write email" link, the correspondence timeline panel and its
lines of one-to-one mail. Other apps add their own lines to the timeline (massmail: the
mailings the record received) through crm.record_pages.add_timeline_source."""

from django.template.loader import render_to_string
from django.urls import reverse

from correspondence import compose
from crm import record_pages


def write_email_link(record):
    url = reverse("mail:compose_about", args=[compose.record_kind(record), record.pk])
    return "Write email", url, "write-email"


def mail_entries(request, record, limit):
    """Mail linked to the record that the viewer may see, whichever account it came through."""
    return [
        record_pages.TimelineEntry(
            email.date or email.scheduled_at, "correspondence/timeline_email.html", email
        )
        for email in compose.timeline(record, request.user)[:limit]
    ]


def timeline_panel(request, record):
    entries = record_pages.timeline(request, record)
    return render_to_string(
        "correspondence/timeline.html", {"entries": entries, "record": record}, request=request
    )
