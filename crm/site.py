"""The two admin sites: `/crm/` for the sales team, `/admin/` for superusers."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import models
from django.http import Http404
from django.shortcuts import render
from django.utils.text import capfirst

from crm.columns import clipped_column
from crm.countries import CountryChoiceField
from crm.roles import Role, role_of
from crm.widgets import CheckboxList


class CrmSite(admin.AdminSite):
    site_header = "Mailing CRM"
    site_title = "Mailing CRM"
    index_title = "Your CRM"
    site_url = None
    # The home says what needs doing; the top app fills it (templates/admin/crm_index.html).
    index_template = "admin/crm_index.html"

    def has_permission(self, request):
        user = request.user
        return user.is_active and user.is_staff and (user.is_superuser or role_of(user) is not None)

    def each_context(self, request):
        # Each app here has one or two models, so the admin's app level in the breadcrumbs said
        # the same twice ("Home › Email accounts › Email accounts"): templates/admin/ drops it.
        return {**super().each_context(request), "flat_breadcrumbs": True}


class SuperuserAdminSite(admin.AdminSite):
    site_header = "Mailing CRM administration"
    site_title = "Mailing CRM admin"

    def has_permission(self, request):
        return request.user.is_active and request.user.is_superuser


crm_site = CrmSite(name="crm")


def locked_out(request, original_response=None, credentials=None):
    """The page django-axes shows instead of the login form while logins are paused (429)."""
    site = admin.site if request.path.startswith("/admin/") else crm_site
    context = {
        **site.each_context(request),
        "title": "Logging in is paused",
        "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        "login_url": request.path,
    }
    return render(request, "admin/locked_out.html", context, status=429)


def choices_for(model, user):
    """What a choice list of `model` may offer `user`: the model's `visible_to(user)`, or the
    user's colleagues; None for a vocabulary every user shares (tags)."""
    if model is get_user_model():
        return user.colleagues()
    objects = model._default_manager
    if hasattr(objects, "visible_to"):
        return objects.visible_to(user)
    return None


def _scoped(kwargs, db_field, request):
    scoped = choices_for(db_field.remote_field.model, request.user)
    if scoped is not None:
        given = kwargs.get("queryset")
        kwargs["queryset"] = scoped if given is None else given.filter(pk__in=scoped.values("pk"))
    return kwargs


class ScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose rows are `Model.objects.visible_to(user)`; a hidden row is a 404.

    Its forms' choice lists (foreign keys, many-to-many) offer only what the user may see;
    autocompletes ask the related model's own ScopedAdmin, whose rows are scoped the same way.
    Many-to-many fields are checkbox lists (no Ctrl-click). Headings say what the page is:
    "Contacts" on the list, the record's name on its page.
    """

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(db_field, request, **_scoped(kwargs, db_field, request))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        searched = [*self.get_autocomplete_fields(request), *self.raw_id_fields]
        if db_field.name not in searched:
            kwargs.setdefault("widget", CheckboxList)
        return super().formfield_for_manytomany(db_field, request, **_scoped(kwargs, db_field, request))

    def changelist_view(self, request, extra_context=None):
        title = capfirst(self.opts.verbose_name_plural)
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    def heading(self, obj):
        """The heading of a record's page."""
        return str(obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:  # the admin's "Change contact" over the name, as one heading
            context.update(title=self.heading(obj), subtitle=None)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_queryset(self, request):
        qs = self.model.objects.visible_to(request.user)
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such record, or not yours to see.")
        return obj

    def _may_edit(self, request, obj):
        if obj is None:
            return True
        objects = self.model.objects
        editable = objects.editable_by if hasattr(objects, "editable_by") else objects.visible_to
        return editable(request.user).filter(pk=obj.pk).exists()

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_edit(request, obj)


class ReadOnlyAdmin(ScopedAdmin):
    """Rows that only the product writes: listed and viewed, never added, changed or deleted."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuthoredAdmin(ScopedAdmin):
    """What a user writes (messages, signatures): its owner is whoever created it."""

    def save_model(self, request, obj, form, change):
        if not change:
            obj.owner = request.user
        super().save_model(request, obj, form, change)


# The owner, in the lists of records; left out of a sales manager's (OwnedRecordAdmin).
OWNER_COLUMN = clipped_column("owner", "Owner", short=True)


class OwnedRecordAdmin(ScopedAdmin):
    """Records with owner and department: filters by role, owner set on create, VIP actions."""

    actions = ["mark_vip", "remove_vip"]
    # Django 6's default, today: a website typed without a scheme is https.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_list_filter(self, request):
        role = role_of(request.user)
        filters = list(self.list_filter)
        if role in (Role.DEPARTMENT_HEAD, Role.COMPANY_MANAGER):
            filters.insert(0, ("owner", admin.RelatedOnlyFieldListFilter))
        if role is Role.COMPANY_MANAGER:
            filters.insert(1, "department")
        return filters

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "country":
            return CountryChoiceField(label=capfirst(db_field.verbose_name))
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if obj is not None and "country" in form.base_fields:
            form.base_fields["country"].keep(obj.country)  # a country typed before the list
        return form

    def get_list_display(self, request):
        # A sales manager's lists hold only their own records: the owner column would say
        # their name on every row, in room the other columns need at 1366 px.
        if role_of(request.user) is Role.SALES_MANAGER:
            return [column for column in self.list_display if column is not OWNER_COLUMN]
        return self.list_display

    @admin.display(description="Newsletters", boolean=True, ordering="massmail")
    def newsletters(self, obj):
        return obj.massmail

    def get_exclude(self, request, obj=None):
        if request.user.is_superuser or role_of(request.user) is not Role.SALES_MANAGER:
            return self.exclude
        return (*(self.exclude or ()), "owner", "department")

    def save_model(self, request, obj, form, change):
        if not change and obj.owner_id is None:
            obj.owner = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description="Mark as VIP", permissions=["change"])
    def mark_vip(self, request, queryset):
        updated = queryset.filter(pk__in=self.model.objects.editable_by(request.user)).update(is_vip=True)
        self.message_user(request, f"{updated} marked as VIP.")

    @admin.action(description="Remove VIP", permissions=["change"])
    def remove_vip(self, request, queryset):
        updated = queryset.filter(pk__in=self.model.objects.editable_by(request.user)).update(is_vip=False)
        self.message_user(request, f"VIP removed from {updated}.")


def register_both(model, admin_class):
    """Register a ModelAdmin on the sales site and on the superusers' admin."""
    crm_site.register(model, admin_class)
    admin.site.register(model, admin_class)
