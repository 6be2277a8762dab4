from django import template

from massmail.home import home_for

register = template.Library()


@register.inclusion_tag("massmail/home.html", takes_context=True)
def home_panel(context):
    """The /crm/ home's "what needs doing" panel for the user of the request."""
    return {"home": home_for(context["request"].user)}
