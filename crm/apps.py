from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


class CrmConfig(AppConfig):
    default = True
    name = "crm"
    verbose_name = "CRM"

    def ready(self):
        from crm import files
        from crm.models import CrmEmailAttachment
        from crm.roles import sync_role_groups

        files.register("email", CrmEmailAttachment.objects.visible_to)

        # Sent once per app; running for the last app means every permission exists.
        post_migrate.connect(sync_role_groups, dispatch_uid="crm.sync_role_groups")


class SuperuserAdminConfig(admin_apps.AdminConfig):
    """The Django admin at /admin/, for superusers only."""

    default = False

    default_site = "crm.site.SuperuserAdminSite"
