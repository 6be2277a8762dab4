"""Public pages reached from mail (no login): unsubscribe; the operators' /healthz and
/metrics; and the mailing reports of /crm/mail/reports/. Tracking views live in
correspondence.tracking."""

from django.http import (
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from prometheus_client import CONTENT_TYPE_LATEST

from correspondence.views import report_response
from crm.site import crm_site
from massmail import health, metrics, reports
from massmail import unsubscribe as unsubscribing
from massmail.models import Mailing, MassmailSettings, Message

BAD_LINK = (
    "<!DOCTYPE html><title>Invalid link</title><h1>This unsubscribe link is not valid</h1>"
    "<p>It may have been cut off or changed. Please use the link from the email as it arrived.</p>"
)


# No CSRF token: mail providers send the RFC 8058 one-click POST with no cookie and no form.
# The signed token in the URL is what authorizes the request.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    data = unsubscribing.read_token(token)
    if data is None:
        return HttpResponseBadRequest(BAD_LINK)
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        unsubscribing.unsubscribe_token(data, "one-click" if one_click else "unsubscribe page")
        return render(request, "massmail/unsubscribed.html", {"email": data.email})
    redirect_url = MassmailSettings.load().unsubscribe_redirect_url
    if redirect_url:
        # The settings ask for a landing page of the company's own: record, then go there.
        if request.method == "GET":
            unsubscribing.unsubscribe_token(data, "link")
        return HttpResponseRedirect(redirect_url)
    return render(request, "massmail/unsubscribe_confirm.html", {"email": data.email})


# --- mailing reports, pages of /crm/mail/reports/ (registered in MassmailConfig.ready) ----------


def mailing_report(request, pk):
    mailing = get_object_or_404(Mailing.objects.visible_to(request.user), pk=pk)
    if request.GET.get("format") == "recipients":
        response = HttpResponse(reports.recipients_csv(mailing.recipients.all()), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="mailing-{pk}-recipients.csv"'
        return response
    extra = {"recipients_csv": True}
    return report_response(
        request, f"Mailing: {mailing}", reports.mailing_figures(mailing), f"mailing-{pk}", extra
    )


def message_report(request, pk):
    message = get_object_or_404(Message.objects.visible_to(request.user), pk=pk)
    return report_response(
        request, f"Mailing template: {message}", reports.message_figures(message), f"message-{pk}"
    )


def report_index_mailings(user):
    return [
        (m, reverse("mail:mailing_report", args=[m.pk]), f"({m.get_status_display()})")
        for m in Mailing.objects.visible_to(user)[:50]
    ]


def report_index_messages(user):
    return [
        (m, reverse("mail:message_report", args=[m.pk]), "") for m in Message.objects.visible_to(user)[:50]
    ]


def report_urls():
    """The mailing report pages, in the /crm/mail/ namespace (correspondence/urls.py)."""
    staff = crm_site.admin_view
    return [
        path("reports/mailing/<int:pk>/", staff(mailing_report), name="mailing_report"),
        path("reports/message/<int:pk>/", staff(message_report), name="message_report"),
    ]


# --- operators: health and metrics (massmail/health.py, massmail/metrics.py) -------------------


@never_cache
@require_http_methods(["GET", "HEAD"])
def healthz(request):
    healthy, checks = health.run_checks()
    return JsonResponse(
        {"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503
    )


@never_cache
@require_http_methods(["GET"])
def metrics_view(request):
    access = metrics.access_of(request)
    if access == metrics.Access.DISABLED:
        raise Http404("Metrics are off: set METRICS_TOKEN or METRICS_ALLOWED_NETWORKS.")
    if access == metrics.Access.DENIED:
        return HttpResponseForbidden("A bearer token or an allowed network is required.")
    return HttpResponse(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
