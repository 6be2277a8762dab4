"""What correspondence adds to the pages of records (registered with crm.record_pages in
CorrespondenceConfig.ready): the "Write email" link and the timeline of the record's mail."""

from django.template.loader import render_to_string
from django.urls import reverse

from correspondence import compose


def write_email_link(record):
    url = reverse("mail:compose_about", args=[compose.record_kind(record), record.pk])
    return "Write email", url, "write-email"


def timeline_panel(request, record):
    """Mail linked to the record that the viewer may see, whichever account it came through."""
    emails = compose.timeline(record, request.user)[:100]
    return render_to_string(
        "correspondence/timeline.html", {"emails": emails, "record": record}, request=request
    )
