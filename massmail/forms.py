import zoneinfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from correspondence.editor import BodyEditor
from correspondence.forms import TemplateFormMixin
from crm.countries import CountryChoiceField
from crm.models import Industry, Tag
from crm.widgets import CheckboxList
from mailkit.headers import has_line_break
from massmail.models import MassmailSettings, Message, RecipientType, Segment
from massmail.segments import filtered, filters_from_form
from massmail.starting import local_start


class MessageForm(TemplateFormMixin, forms.ModelForm):
    class Meta:
        model = Message
        fields = ["name", "subject", "body", "signature"]
        widgets = {"body": BodyEditor(attrs={"rows": 16, "cols": 90}, unsubscribe_link=True)}
        help_texts = {
            "body": "“Insert variable” fills in each recipient's details when the mail is sent. "
            "The unsubscribe link is required: the “Unsubscribe link” button adds it. "
            "The <> button shows the HTML."
        }

    def clean_subject(self):
        subject = self.cleaned_data["subject"]
        if has_line_break(subject):
            raise ValidationError("The subject must be one line.")
        return subject


class PreviewForm(forms.Form):
    recipient_type = forms.ChoiceField(choices=RecipientType.choices, initial=RecipientType.CONTACTS)
    search = forms.CharField(
        required=False, label="Name or email", help_text="Empty: the first record you see"
    )


class PreviewChoiceForm(PreviewForm):
    """What the preview and "Send a test" read: the search, or the record a test was filled
    for, so the preview after a test shows that record. The search form shown is a PreviewForm
    without it: a new search is not pinned to the last record."""

    record = forms.IntegerField(required=False, min_value=1)


class ChooseMessageForm(forms.Form):
    """The "Make massmail" intermediate page."""

    message = forms.ModelChoiceField(queryset=Message.objects.none(), empty_label=None)
    name = forms.CharField(max_length=200, required=False, help_text="Empty: the message's name")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["message"].queryset = Message.objects.filter(owner=user)


class AudienceForm(forms.Form):
    """The "Create mailing" page: a message and filters that describe an audience of any size."""

    message = forms.ModelChoiceField(queryset=Message.objects.none(), empty_label=None)
    name = forms.CharField(max_length=200, required=False)
    segment = forms.ModelChoiceField(
        queryset=Segment.objects.none(),
        required=False,
        help_text="Its records (and its type), narrowed by the filters below",
    )
    recipient_type = forms.ChoiceField(choices=RecipientType.choices, initial=RecipientType.CONTACTS)
    owner = forms.ModelChoiceField(queryset=None, required=False, empty_label="Anyone I may mail")
    department = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any")
    vip = forms.ChoiceField(
        choices=[("", "Any"), ("yes", "VIP only"), ("no", "Not VIP")], required=False, label="VIP"
    )
    country = CountryChoiceField(blank_label="Any")
    industry = forms.ChoiceField(required=False)
    tags = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=CheckboxList, help_text="Any of these tags"
    )
    accepts_newsletters = forms.BooleanField(
        required=False, initial=True, help_text="Leave out records that do not accept newsletters"
    )

    def __init__(self, *args, user, owners, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["message"].queryset = Message.objects.filter(owner=user)
        self.fields["segment"].queryset = Segment.objects.visible_to(user)
        self.fields["industry"].choices = [("", "Any"), *Industry.choices]
        self.fields["tags"].queryset = Tag.objects.all()
        self.fields["country"].keep(self.data.get("country") or self.initial.get("country"))
        if owners is None:
            del self.fields["owner"]
        else:
            self.fields["owner"].queryset = owners
        if departments is None:
            del self.fields["department"]
        else:
            self.fields["department"].queryset = departments

    def audience(self):
        """The queryset the filters describe (before the owner's own scope is applied): the
        chosen segment's records, narrowed by any filter set here too."""
        data = self.cleaned_data
        filters = filters_from_form(data)
        segment = data.get("segment")
        if segment is None:
            return filtered(data["recipient_type"], filters)
        return filtered(segment.recipient_type, {**segment.filters, **filters})


class StartForm(forms.Form):
    """The review's last step: start now, or at a date and time of the settings' time zone."""

    when = forms.ChoiceField(
        choices=[("now", "Start now"), ("at", "Start at")],
        widget=forms.RadioSelect(attrs={"class": "radiolist inline"}),
        initial="now",
        required=False,
    )
    start_at = forms.DateTimeField(
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="In the time zone of the mailing settings",
    )

    def clean(self):
        data = super().clean()
        if data.get("when") != "at":
            data["start_at"] = None
            return data
        if not data.get("start_at"):
            self.add_error("start_at", "Give the date and time to start at.")
            return data
        # The field read the wall-clock time in the server's zone: the settings' zone is meant.
        data["start_at"] = local_start(timezone.make_naive(data["start_at"]))
        if data["start_at"] <= timezone.now():
            self.add_error("start_at", "The start must be in the future.")
        return data


WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]


class MassmailSettingsForm(forms.ModelForm):
    unsubscribe_redirect_url = forms.URLField(
        required=False,
        assume_scheme="https",
        help_text="Optional: after recording the unsubscribe, send people to this page of your own",
    )
    non_working_days = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = MassmailSettings
        fields = [
            "use_business_time",
            "business_start",
            "business_end",
            "time_zone",
            "non_working_days",
            "unsubscribe_redirect_url",
            "unsubscribe_mailto",
            "default_daily_limit",
        ]

    def clean_time_zone(self):
        name = self.cleaned_data["time_zone"].strip()
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValidationError(
                f"{name!r} is not a time zone name. Use an IANA name such as Europe/Berlin."
            ) from None
        return name

    def clean(self):
        data = super().clean()
        start, end = data.get("business_start"), data.get("business_end")
        if start and end and start >= end:
            self.add_error("business_end", "The business day must end after it starts.")
        if len(data.get("non_working_days") or []) == 7:
            self.add_error("non_working_days", "At least one day of the week must be a working day.")
        return data


class LiftSuppressionForm(forms.Form):
    note = forms.CharField(max_length=500, help_text="Why mail to these addresses may go out again (kept).")
