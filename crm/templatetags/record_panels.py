"""`{% record_panels original %}`: the panels apps registered for record pages (crm/record_panels.py)."""

from django import template
from django.utils.html import format_html_join

from crm import record_panels as panels

register = template.Library()


@register.simple_tag(takes_context=True)
def record_panels(context, record):
    return format_html_join("", "{}", ((html,) for html in panels.record_panels(record, context["request"])))
