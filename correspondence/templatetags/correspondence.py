"""Mail on record pages: the "Write email" link and the timeline of a record's mail."""

from django import template
from django.urls import reverse

from crm import compose

register = template.Library()


@register.filter
def record_url(record):
    return reverse(f"crm:crm_{compose.record_kind(record)}_change", args=[record.pk])


@register.simple_tag
def write_email_url(record):
    return reverse("mail:compose_about", args=[compose.record_kind(record), record.pk])


@register.inclusion_tag("crm/timeline.html", takes_context=True)
def record_timeline(context, record):
    """Mail linked to the record that the viewer may see, whichever account it came through."""
    request = context["request"]
    return {"emails": compose.timeline(record, request.user)[:100], "record": record}


@register.inclusion_tag("crm/inbox_link.html", takes_context=True)
def inbox_link(context):
    """The Inbox link in the header of the /crm/ site, with the count of unread notifications."""
    from crm.inbox import notifications_of
    from crm.roles import role_of

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or role_of(user) is None:
        return {"show": False}
    return {"show": True, "unread": notifications_of(user, unread_only=True).count()}
