"""The site's URLs as config/urls.py gives them when the demo runs (DEMO=1). Not imported
from config.urls, which decides once, at import, whether the demo is installed."""

from django.contrib import admin
from django.urls import include, path

from crm.site import crm_site

urlpatterns = [
    path("admin/", admin.site.urls),
    path("crm/mail/", include("correspondence.urls")),
    path("crm/sent-mail/", include("demo.urls")),
    path("crm/", crm_site.urls),
    path("m/", include("massmail.urls")),
    path("m/", include("correspondence.tracking_urls")),
]
