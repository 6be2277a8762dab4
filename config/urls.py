from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from crm.site import crm_site
from massmail import mail_sink
from massmail import views as massmail_views

# The demo's mail sink pages (massmail/mail_sink.py): what the local SMTP sink received, from
# every account. Routed only when the demo runs (DEMO, set by scripts/demo.sh), for the site's staff.
demo_urls = [
    path("crm/sent-mail/", crm_site.admin_view(mail_sink.sent_mail_list), name="sent_mail_list"),
    path(
        "crm/sent-mail/<str:name>/", crm_site.admin_view(mail_sink.sent_mail_detail), name="sent_mail_detail"
    ),
]

urlpatterns = [
    path("", RedirectView.as_view(url="/crm/", permanent=False)),
    path("admin/", admin.site.urls),
    # Before the site's catch-all: /crm/mail/ is the inbox, compose, templates and reports.
    path("crm/mail/", include("crm.urls")),
    *(demo_urls if settings.DEMO else []),
    path("crm/", crm_site.urls),
    path("m/", include("massmail.urls")),
    # Operators (README, Production): load balancers and Prometheus, no login.
    path("healthz", massmail_views.healthz, name="healthz"),
    path("metrics", massmail_views.metrics_view, name="metrics"),
]
# Stored files have no URL of their own, in development too: only `mail:file` (crm/files.py)
# sends them, after checking who may see them.
