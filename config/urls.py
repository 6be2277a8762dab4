from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from crm.site import crm_site

urlpatterns = [
    path("", RedirectView.as_view(url="/crm/", permanent=False)),
    path("admin/", admin.site.urls),
    # Before the site's catch-all: /crm/mail/ is the inbox, compose, templates and reports.
    path("crm/mail/", include("correspondence.urls")),
]
if "demo" in settings.INSTALLED_APPS:
    # What the demo's local SMTP sink received (demo/mail_sink.py): only when the demo runs.
    urlpatterns.append(path("crm/sent-mail/", include("demo.urls")))
urlpatterns += [
    path("crm/", crm_site.urls),
    path("m/", include("massmail.urls")),
    path("m/", include("correspondence.tracking_urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
