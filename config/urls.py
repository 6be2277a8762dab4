from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from crm.site import crm_site
from massmail import views as massmail_views

urlpatterns = [
    path("", RedirectView.as_view(url="/crm/", permanent=False)),
    path("admin/", admin.site.urls),
    # Before the site's catch-all: /crm/mail/ is the inbox, compose, templates and reports.
    path("crm/mail/", include("correspondence.urls")),
]
if "demo" in settings.INSTALLED_APPS:
    # The demo's mail sink pages (demo/mail_sink.py): what the local SMTP sink received, from
    # every account. Routed only when the demo runs (DEMO, set by scripts/demo.sh), for staff.
    urlpatterns.append(path("crm/sent-mail/", include("demo.urls")))
urlpatterns += [
    path("crm/", crm_site.urls),
    path("m/", include("massmail.urls")),
    path("m/", include("correspondence.tracking_urls")),
    # Operators (README, Production): load balancers and Prometheus, no login.
    path("healthz", massmail_views.healthz, name="healthz"),
    path("metrics", massmail_views.metrics_view, name="metrics"),
]
# Stored files have no URL of their own, in development too: only `mail:file` (crm/files.py)
# sends them, after checking who may see them.
