"""Records: users, departments, companies, contacts, leads, requests, deals, tags, tickets,
roles, scoping and the /crm/ site. Imports no other app of ours; they register with it."""

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


class CrmConfig(AppConfig):
    default = True
    name = "crm"
    verbose_name = "CRM"

    def ready(self):
        from crm.roles import sync_role_groups  # roles imports the auth models: not at app loading

        # Sent once per app; running for the last app means every permission exists.
        post_migrate.connect(sync_role_groups, dispatch_uid="crm.sync_role_groups")


class SuperuserAdminConfig(admin_apps.AdminConfig):
    """The Django admin at /admin/, for superusers only."""

    default = False

    default_site = "crm.site.SuperuserAdminSite"
