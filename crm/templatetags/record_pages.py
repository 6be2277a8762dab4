"""Record pages show what the upper apps registered in crm.record_pages."""

from django import template
from django.utils.safestring import mark_safe

from crm import record_pages

register = template.Library()


@register.inclusion_tag("admin/crm/record_tools.html")
def record_tools(record):
    return {"tools": record_pages.object_tools(record)}


@register.simple_tag(takes_context=True)
def record_panels(context, record):
    # Each panel renders its own template (autoescaped there).
    return mark_safe("".join(record_pages.panels(context["request"], record)))
