from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from crm.site import crm_site
from massmail import mail_sink
from massmail import views as massmail_views

urlpatterns = [
    path("", RedirectView.as_view(url="/crm/", permanent=False)),
    path("admin/", admin.site.urls),
    # Before the site's catch-all: /crm/mail/ is the inbox, compose, templates and reports.
    path("crm/mail/", include("crm.urls")),
    # Demo mail sink (massmail/mail_sink.py): what the local SMTP sink received.
    path("crm/sent-mail/", crm_site.admin_view(mail_sink.sent_mail_list), name="sent_mail_list"),
    path(
        "crm/sent-mail/<str:name>/", crm_site.admin_view(mail_sink.sent_mail_detail), name="sent_mail_detail"
    ),
    path("crm/", crm_site.urls),
    path("m/", include("massmail.urls")),
    # Operators (README, Production): load balancers and Prometheus, no login.
    path("healthz", massmail_views.healthz, name="healthz"),
    path("metrics", massmail_views.metrics_view, name="metrics"),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
