"""Widgets the /crm/ forms share."""

from django import forms


class CheckboxList(forms.CheckboxSelectMultiple):
    """Pick several with plain clicks, where a <select multiple> needs Ctrl (or Cmd) held down,
    which nobody is told. crm.css keeps a long list in a box that scrolls."""

    def __init__(self, attrs=None, choices=()):
        super().__init__({"class": "checkbox-list", **(attrs or {})}, choices)
