"""The three roles of the CRM, as groups, and the permissions each group holds.

`sync_role_groups` runs on every `migrate` (a post_migrate handler), so every database, a
flushed test database included, has the groups with the permissions listed here.
"""

from enum import StrEnum

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission


class Role(StrEnum):
    SALES_MANAGER = "Sales managers"
    DEPARTMENT_HEAD = "Department heads"
    COMPANY_MANAGER = "Company managers"


_RECORDS = ["crm.company", "crm.contact", "crm.lead", "crm.request", "crm.deal"]

# model label -> actions, per role. Row-level scope is `visible_to(user)` on each manager.
# The apps above add the permissions of their own models with `grant` (AppConfig.ready).
ROLE_PERMISSIONS = {
    Role.SALES_MANAGER: dict.fromkeys(_RECORDS, ("view", "add", "change")),
    Role.DEPARTMENT_HEAD: dict.fromkeys(_RECORDS, ("view", "add", "change", "delete")),
    Role.COMPANY_MANAGER: dict.fromkeys(_RECORDS, ("view",)),
}
# What people write (messages, signatures): their own, and every one for company managers to read.
AUTHORING = {
    Role.SALES_MANAGER: ("view", "add", "change", "delete"),
    Role.DEPARTMENT_HEAD: ("view", "add", "change", "delete"),
    Role.COMPANY_MANAGER: ("view",),
}


def grant(label, actions_by_role):
    """Give roles actions on a model ("app.model"); called by the apps in AppConfig.ready()."""
    for role, actions in actions_by_role.items():
        ROLE_PERMISSIONS[role][label] = tuple(actions)


def role_of(user):
    """The user's role on the /crm/ site, or None. A superuser counts as a company manager."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.COMPANY_MANAGER
    if not hasattr(user, "_crm_group_names"):
        user._crm_group_names = set(user.groups.values_list("name", flat=True))
    names = user._crm_group_names
    for role in (Role.COMPANY_MANAGER, Role.DEPARTMENT_HEAD, Role.SALES_MANAGER):
        if role.value in names:
            return role
    return None


def sync_role_groups(app_config, using="default", **kwargs):
    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if app_config is not with_models[-1]:
        # post_migrate is sent once per app that has models (not to the demo app, which has
        # none and is last when installed): do the work once, after the last of them.
        return
    # Permissions of every app must exist before they are granted, whatever app order
    # post_migrate runs in.
    for app_config in apps.get_app_configs():
        if app_config.models_module is not None:
            create_permissions(app_config, verbosity=0, using=using)
    for role, grants in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=role.value)
        wanted = []
        for label, actions in grants.items():
            app_label, model = label.split(".")
            codenames = [f"{action}_{model}" for action in actions]
            wanted += Permission.objects.using(using).filter(
                content_type__app_label=app_label, codename__in=codenames
            )
        group.permissions.set(wanted)
