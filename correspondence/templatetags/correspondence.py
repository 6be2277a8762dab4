"""Mail in the pages of the /crm/ site: links to records, and the Inbox link in the header."""

from django import template
from django.urls import reverse

from correspondence import compose
from correspondence.inbox import notifications_of
from crm.roles import role_of

register = template.Library()


@register.filter
def record_url(record):
    return reverse(f"crm:crm_{compose.record_kind(record)}_change", args=[record.pk])


@register.inclusion_tag("correspondence/inbox_link.html", takes_context=True)
def inbox_link(context):
    """The Inbox link in the header of the /crm/ site, with the count of unread notifications."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or role_of(user) is None:
        return {"show": False}
    return {"show": True, "unread": notifications_of(user, unread_only=True).count()}
