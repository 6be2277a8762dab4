"""On a Company/Contact/Lead page: why its address gets no newsletters, and since when
(registered with crm/record_pages.py in `MassmailConfig.ready()`)."""

from django.template.loader import render_to_string

from massmail.models import Suppression, normalize_email


def suppression_panel(request, record) -> str:
    address = normalize_email(getattr(record, "email", ""))
    suppression = Suppression.objects.filter(email=address).first() if address else None
    if suppression is None:
        return ""
    return render_to_string("massmail/record_suppression.html", {"suppression": suppression}, request=request)
