"""Saved segments on /crm/ (massmail/segments.py): a list with each segment's live count,
a form of filters, and "Create mailing" from a segment."""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from crm.columns import clipped_column
from crm.countries import CountryChoiceField
from crm.models import Industry, Tag
from crm.site import OWNER_COLUMN, crm_site
from crm.widgets import CheckboxList
from massmail import segments
from massmail.admin import AuthoredAdmin, audience_choices
from massmail.models import Segment

YES_NO_ANY = [("", "Any"), ("yes", "VIP only"), ("no", "Not VIP")]


class SegmentForm(forms.ModelForm):
    owner = forms.ModelChoiceField(queryset=None, required=False, empty_label="Anyone I see")
    department = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any")
    vip = forms.ChoiceField(choices=YES_NO_ANY, required=False, label="VIP")
    country = CountryChoiceField(blank_label="Any")
    industry = forms.ChoiceField(choices=[("", "Any"), *Industry.choices], required=False)
    tags = forms.ModelMultipleChoiceField(
        queryset=Tag.objects.all(), required=False, widget=CheckboxList, help_text="Any of these tags"
    )
    accepts_newsletters = forms.BooleanField(required=False, initial=True)
    created_since = forms.DateField(required=False, help_text="YYYY-MM-DD")
    opened_days = forms.IntegerField(
        min_value=1, max_value=3650, required=False, label="Opened a mailing in the last N days"
    )
    clicked_days = forms.IntegerField(
        min_value=1, max_value=3650, required=False, label="Clicked in a mailing in the last N days"
    )
    replied = forms.BooleanField(required=False, label="Has replied")
    bounced = forms.BooleanField(required=False, label="Has bounced")

    class Meta:
        model = Segment
        fields = ["name", "is_shared", "recipient_type"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        choices = audience_choices(user)
        for name in ("owner", "department"):
            if choices[f"{name}s"] is None:
                del self.fields[name]
            else:
                self.fields[name].queryset = choices[f"{name}s"]
        for name, value in (self.instance.filters or {}).items():
            if name in self.fields:
                self.initial[name] = value
        # A segment saved when country was typed keeps its value.
        self.fields["country"].keep(self.initial.get("country"))

    def save(self, commit=True):
        self.instance.filters = segments.filters_from_form(self.cleaned_data)
        return super().save(commit)


SEGMENT_NAME = clipped_column("name", "Name")


@admin.register(Segment, site=crm_site)
class SegmentAdmin(AuthoredAdmin):
    form = SegmentForm
    list_filter = ["recipient_type", "is_shared"]
    search_fields = ["name"]
    list_select_related = ["owner"]

    def get_list_display(self, request):
        @admin.display(description="Records now")
        def live_count(segment):
            return segments.live_count(segment, request.user)

        return [SEGMENT_NAME, "recipient_type", "is_shared", OWNER_COLUMN, live_count, "create_mailing"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        base = super().get_form(request, obj, change, **kwargs)
        return type("UserSegmentForm", (base,), {"__init__": _bind_user(base, request.user)})

    def get_fieldsets(self, request, obj=None):
        offered = audience_choices(request.user)
        fields = [
            name
            for name in dict.fromkeys(["name", "is_shared", "recipient_type", *SegmentForm.base_fields])
            if offered.get(f"{name}s", True) is not None
        ]
        options = {"fields": fields}
        if obj is not None:
            count = segments.live_count(obj, request.user)
            options["description"] = f"{count} records match now (of those you see)."
        return [(None, options)]

    @admin.display(description="")
    def create_mailing(self, obj):
        url = (
            reverse("crm:massmail_mailing_create") + f"?segment={obj.pk}&recipient_type={obj.recipient_type}"
        )
        return format_html('<a href="{}" class="create-mailing">Create mailing</a>', url)


def _bind_user(base, user):
    def __init__(self, *args, **kwargs):
        base.__init__(self, *args, user=user, **kwargs)

    return __init__
