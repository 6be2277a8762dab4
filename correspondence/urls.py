"""Mail pages of the /crm/ site, mounted at /crm/mail/ (config/urls.py)."""

from django.urls import path

from correspondence import reports, views
from crm.site import crm_site

app_name = "mail"


def staff(view):
    return crm_site.admin_view(view)


urlpatterns = [
    path("", staff(views.inbox_view), name="inbox"),
    path("files/<str:kind>/<int:pk>/", staff(views.stored_file), name="file"),
    path("thread/", staff(views.thread_view), name="thread"),
    path("<int:pk>/body/", staff(views.email_body), name="body"),
    path("read/", staff(views.mark_read), name="mark_read"),
    path("assign/", staff(views.assign_view), name="assign"),
    path("notifications/read/", staff(views.notifications_read), name="notifications_read"),
    path("digest/", staff(views.digest_toggle), name="digest"),
    path("compose/", staff(views.compose_new), name="compose"),
    path("compose/<str:kind>/<int:pk>/", staff(views.compose_new), name="compose_about"),
    path("drafts/", staff(views.drafts), name="drafts"),
    path("drafts/<int:pk>/", staff(views.compose_edit), name="compose_edit"),
    path("drafts/<int:pk>/delete/", staff(views.delete_draft), name="delete_draft"),
    path("<int:pk>/reply/", staff(views.reply), name="reply"),
    path("<int:pk>/forward/", staff(views.reply), {"forward": True}, name="forward"),
    path("templates/", staff(views.templates_list), name="templates"),
    path("templates/new/", staff(views.template_edit), name="template_new"),
    path("templates/<int:pk>/", staff(views.template_edit), name="template_edit"),
    path("templates/<int:pk>/delete/", staff(views.template_delete), name="template_delete"),
    path("reports/", staff(views.reports_index), name="reports"),
    path("reports/email/<int:pk>/", staff(views.email_report), name="email_report"),
    path("reports/template/<int:pk>/", staff(views.template_report), name="template_report"),
]
# Pages other apps register (massmail: mailing reports), in this namespace.
urlpatterns += reports.report_urls()
