from django import forms

from correspondence.compose import parse_addresses
from correspondence.editor import BodyEditor
from correspondence.models import EmailTemplate, Signature
from mailaccounts.models import EmailAccount
from mailkit.rendering import validate_template
from mailkit.sanitizing import sanitize_html

# Providers refuse messages over 20–35 MB, and base64 adds a third.
MAX_ATTACHMENTS_BYTES = 18 * 2**20


class AddressesField(forms.CharField):
    """Comma-separated addresses, cleaned to a list."""

    def to_python(self, value):
        return parse_addresses(super().to_python(value))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class ComposeForm(forms.Form):
    """One-to-one email. Which button was pressed is `action`: send, draft, schedule, template."""

    account = forms.ModelChoiceField(
        queryset=None,
        label="From",
        empty_label=None,
        error_messages={"required": "You have no active account to send from."},
    )
    to = AddressesField(required=False, label="To", widget=forms.TextInput(attrs={"size": 60}))
    cc = AddressesField(required=False, label="Cc", widget=forms.TextInput(attrs={"size": 60}))
    bcc = AddressesField(required=False, label="Bcc", widget=forms.TextInput(attrs={"size": 60}))
    subject = forms.CharField(max_length=900, required=False, widget=forms.TextInput(attrs={"size": 60}))
    template = forms.ModelChoiceField(
        queryset=None, required=False, help_text="Insert fills subject and body."
    )
    body = forms.CharField(
        required=False,
        widget=BodyEditor(attrs={"rows": 14, "cols": 80}),
        help_text="“Insert variable” fills in the recipient's details when the email is sent. "
        "The <> button shows the HTML.",
    )
    signature = forms.ModelChoiceField(queryset=None, required=False)
    attachments = MultipleFileField(required=False)
    track_opens = forms.BooleanField(required=False, label="Track opens")
    track_clicks = forms.BooleanField(required=False, label="Track clicks")
    read_receipt = forms.BooleanField(required=False, label="Request a read receipt")
    scheduled_at = forms.DateTimeField(
        required=False,
        label="Send at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        accounts = EmailAccount.objects.sendable_by(user).filter(is_active=True)
        self.fields["account"].queryset = accounts
        # Said before the form is filled in, not after a Send that cannot work.
        self.no_account = not accounts.exists()
        if not self.initial.get("account"):
            self.initial["account"] = EmailAccount.objects.default_for(user)
        self.fields["template"].queryset = EmailTemplate.objects.visible_to(user)
        self.fields["signature"].queryset = Signature.objects.filter(owner=user)

    def clean_attachments(self):
        files = self.cleaned_data["attachments"]
        if sum(f.size for f in files) > MAX_ATTACHMENTS_BYTES:
            raise forms.ValidationError(
                f"Attachments may total {MAX_ATTACHMENTS_BYTES // 2**20} MB at most; most mail servers refuse more."
            )
        return files

    def clean(self):
        data = super().clean()
        action = self.data.get("action", "draft")
        if action in ("send", "schedule") and not (data.get("to") or data.get("cc") or data.get("bcc")):
            self.add_error("to", "Add at least one recipient.")
        if action == "schedule" and not data.get("scheduled_at"):
            self.add_error("scheduled_at", "Pick when to send it.")
        return data


class EmailTemplateForm(forms.ModelForm):
    class Meta:
        model = EmailTemplate
        fields = ["name", "subject", "body", "is_shared"]
        widgets = {"body": BodyEditor(attrs={"rows": 14, "cols": 80})}
        help_texts = {
            "body": "“Insert variable” fills in the details of the record the email is about. "
            "The <> button shows the HTML."
        }

    def clean_body(self):
        # Stored clean like every body; the compose page shows it when it is inserted.
        return sanitize_html(self.cleaned_data.get("body", ""))

    def clean(self):
        data = super().clean()
        for error in validate_template(
            data.get("subject", ""), data.get("body", ""), require_unsubscribe=False
        ):
            self.add_error(None, error)
        return data


class AssignForm(forms.Form):
    user = forms.ModelChoiceField(queryset=None, label="Assign to", required=False)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = members


class TemplateFormMixin:
    """Sanitize the HTML body, then report template problems as form errors (never a 500)."""

    require_unsubscribe = True

    def clean_body(self):
        return sanitize_html(self.cleaned_data.get("body", ""))

    def clean(self):
        data = super().clean()
        if "body" in data:
            for error in validate_template(
                data.get("subject", ""), data["body"], require_unsubscribe=self.require_unsubscribe
            ):
                self.add_error("subject" if error.startswith("The subject") else "body", error)
        return data


class SignatureForm(TemplateFormMixin, forms.ModelForm):
    require_unsubscribe = False

    class Meta:
        model = Signature
        fields = ["name", "body"]
        widgets = {"body": BodyEditor(attrs={"rows": 8, "cols": 90})}
        help_texts = {
            "body": "Added under messages and emails. “Insert variable” adds your name or address "
            "(or the recipient's details) when the mail is sent. The <> button shows the HTML."
        }
