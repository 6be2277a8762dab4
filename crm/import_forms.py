"""Forms of the import page: the upload, the column mapping and the choices for the whole file."""

from django import forms
from django.conf import settings

from crm.column_mapping import FIELDS
from crm.importing import assignable_departments, assignable_owners
from crm.models import ImportJob

ACCEPTED = (".csv", ".txt", ".tsv", ".xlsx")
FROM_COLUMN = ""
SET_CHOICES = [
    (FROM_COLUMN, "From the file's column (or the default)"),
    ("yes", "Yes for every row"),
    ("no", "No for every row"),
]


class UploadForm(forms.Form):
    file = forms.FileField(help_text="CSV (any delimiter and encoding) or XLSX, with a header row")

    def clean_file(self):
        file = self.cleaned_data["file"]
        if not file.name.lower().endswith(ACCEPTED):
            raise forms.ValidationError(f"Send a {', '.join(ACCEPTED)} file.")
        if file.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(f"The file is larger than {settings.IMPORT_MAX_BYTES // 2**20} MB.")
        return file


class MappingForm(forms.Form):
    """One choice per column of the file: which field it fills, or none."""

    def __init__(self, *args, headers, kind, initial_mapping, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "(not imported)"), *FIELDS[kind].items()]
        self.headers = headers
        for index, header in enumerate(headers):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=header, choices=choices, required=False, initial=initial_mapping.get(header, "")
            )

    def clean(self):
        fields = [v for k, v in self.cleaned_data.items() if k.startswith("column_") and v]
        twice = sorted({f for f in fields if fields.count(f) > 1})
        if twice:
            raise forms.ValidationError(f"Each field can come from one column only: {', '.join(twice)}.")
        return self.cleaned_data

    def mapping(self):
        return {header: self.cleaned_data.get(f"column_{i}", "") for i, header in enumerate(self.headers)}

    def columns(self):
        return [self[f"column_{i}"] for i in range(len(self.headers))]


class OptionsForm(forms.Form):
    duplicates = forms.ChoiceField(
        label="Records with the same address", choices=ImportJob.Duplicates.choices, initial="skip"
    )
    owner = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Me", help_text="Unless a column says"
    )
    department = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="The owner's", help_text="Unless a column says"
    )
    tags = forms.CharField(
        required=False, max_length=500, help_text="Added to every row, separated by commas"
    )
    is_vip = forms.ChoiceField(label="VIP", choices=SET_CHOICES, required=False)
    massmail = forms.ChoiceField(label="Accepts newsletters", choices=SET_CHOICES, required=False)
    create_companies = forms.BooleanField(
        label="Create companies that do not exist yet", required=False, initial=True
    )

    def __init__(self, *args, user, kind, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = assignable_owners(user).order_by("username")
        self.fields["department"].queryset = assignable_departments(user)
        if kind != "contacts":
            del self.fields["create_companies"]

    def options(self):
        data = self.cleaned_data
        options = {
            "owner": data["owner"].pk if data["owner"] else None,
            "department": data["department"].pk if data["department"] else None,
            "tags": [t.strip() for t in data["tags"].split(",") if t.strip()],
            "create_companies": data.get("create_companies", False),
        }
        for name in ("is_vip", "massmail"):
            options[name] = None if data[name] == FROM_COLUMN else data[name] == "yes"
        return options
