"""The WYSIWYG editor of every HTML body a sales manager writes: messages, signatures,
one-to-one templates and emails.

The editor is django-prose-editor's bundle of ProseMirror/Tiptap, served from our static files
and started by static/crm/body_editor.js. Its own widget is not used: its media brings an inline
`<script type="importmap">`, which the site's Content-Security-Policy (`script-src 'self'`)
refuses. Our script imports the bundle by its path instead, and reads the toolbar's settings
from the textarea's `data-body-editor` attribute.

The editor only changes how a body is written: forms still sanitize what is posted, and mail is
sanitized again after the template step (mailkit/sanitizing.py).
"""

import json

from django import forms
from django.forms.widgets import Script

# The toolbar's "Insert variable" choices, by what the template engine fills in
# (mailkit/rendering.py); a test checks each against `validate_template`.
RECIPIENT_VARIABLES = [
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("full_name", "Full name"),
    ("company", "Company"),
    ("email", "Email address"),
]
SENDER_VARIABLES = [
    ("user.name", "My name"),
    ("user.first_name", "My first name"),
    ("user.last_name", "My last name"),
    ("user.email", "My email address"),
]


class BodyEditor(forms.Textarea):
    """A textarea that becomes the editor in the browser (and stays a textarea without script).

    `unsubscribe_link`: offer the "Unsubscribe link" button. Only mailings have an unsubscribe
    URL: in one-to-one mail `{{ unsubscribe_url }}` renders empty.
    """

    def __init__(self, attrs=None, *, unsubscribe_link=False):
        super().__init__(attrs)
        self.unsubscribe_link = unsubscribe_link

    class Media:
        css = {
            "all": [
                "django_prose_editor/material-icons.css",
                "django_prose_editor/editor.css",
                "django_prose_editor/overrides.css",
            ]
        }
        js = [Script("crm/body_editor.js", type="module")]

    def toolbar(self):
        return {
            "variables": [
                {"name": name, "label": label} for name, label in RECIPIENT_VARIABLES + SENDER_VARIABLES
            ],
            "unsubscribeLink": self.unsubscribe_link,
        }

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        # An attribute, not an inline script: data is not code under the CSP.
        context["widget"]["attrs"]["data-body-editor"] = json.dumps(self.toolbar())
        return context

    def use_required_attribute(self, initial):
        # The editor hides the textarea; a hidden required field would block the submit with
        # a message the browser cannot show. The form still says when the body is missing.
        return False
