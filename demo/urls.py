"""The demo's pages under /crm/sent-mail/ (mounted by config/urls.py when the demo runs)."""

from django.urls import path

from crm.site import crm_site
from demo import mail_sink

urlpatterns = [
    path("", crm_site.admin_view(mail_sink.sent_mail_list), name="sent_mail_list"),
    path("<str:name>/", crm_site.admin_view(mail_sink.sent_mail_detail), name="sent_mail_detail"),
]
