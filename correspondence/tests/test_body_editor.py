"""Issue 15, point 5: every HTML body a sales manager writes is written in the editor
(correspondence/editor.py), under the Content-Security-Policy, and is still sanitized."""

import html
import json
import re

import pytest
from django.urls import reverse

from correspondence.editor import RECIPIENT_VARIABLES, SENDER_VARIABLES
from correspondence.models import CrmEmail, EmailTemplate, Signature
from correspondence.tests.mail_fixtures import *  # noqa: F403
from correspondence.tests.mail_fixtures import account_on
from mailkit.rendering import render_for_record, validate_template
from mailkit.sanitizing import sanitize_html

EVIL = '<p>Hi {{ first_name }}</p><img src=x onerror="alert(1)"><script>alert(2)</script>'

BODY_FORMS = {
    "message": "/crm/massmail/message/add/",
    "signature": "/crm/correspondence/signature/add/",
    "template": reverse("mail:template_new"),
    "compose": reverse("mail:compose"),
}


def toolbar_of(page):
    found = re.search(r'<textarea name="body"[^>]*\sdata-body-editor="([^"]*)"', page)
    assert found, "the body is not an editor"
    return json.loads(html.unescape(found[1]))


def inline_scripts(page):
    """<script> elements with code in the page: the CSP refuses them (JSON data is not code)."""
    tags = re.findall(r"<script\b[^>]*>", page)
    return [tag for tag in tags if "src=" not in tag and 'type="application/json"' not in tag]


@pytest.mark.parametrize("form", BODY_FORMS)
def test_every_body_form_renders_the_editor_from_static_files_without_inline_script(client, alice, form):
    client.force_login(alice)
    page = client.get(BODY_FORMS[form]).content.decode()
    assert toolbar_of(page)["variables"]
    assert '<script src="/static/crm/body_editor.js" type="module"></script>' in page
    assert "/static/django_prose_editor/editor.css" in page
    assert inline_scripts(page) == []
    assert "importmap" not in page


def test_only_the_message_offers_the_unsubscribe_link(client, alice):
    client.force_login(alice)
    offered = {
        form: toolbar_of(client.get(url).content.decode())["unsubscribeLink"]
        for form, url in BODY_FORMS.items()
    }
    assert offered == {"message": True, "signature": False, "template": False, "compose": False}


def test_every_variable_of_the_toolbar_is_filled_in_by_the_renderer(alice, jane):
    alice.last_name = "Smith"
    for name, _label in RECIPIENT_VARIABLES + SENDER_VARIABLES:
        source = f"<p>{{{{ {name} }}}}</p>"
        assert validate_template("", source, require_unsubscribe=False) == [], name
        _subject, rendered = render_for_record("", source, record=jane, user=alice)
        assert rendered not in ("<p></p>", source), name


def test_a_template_posted_with_script_is_stored_sanitized(client, alice):
    client.force_login(alice)
    response = client.post(reverse("mail:template_new"), {"name": "Intro", "subject": "Hi", "body": EVIL})
    assert response.status_code == 302
    body = EmailTemplate.objects.get().body
    assert body == sanitize_html(EVIL)
    assert "onerror" not in body and "script" not in body and "{{ first_name }}" in body


def test_a_draft_posted_with_script_is_stored_sanitized(client, alice, jane, smtp_sink):
    account = account_on(smtp_sink, alice)
    client.force_login(alice)
    response = client.post(
        reverse("mail:compose_about", args=["contact", jane.pk]),
        {"account": account.pk, "to": "jane@acme.test", "subject": "Hi", "body": EVIL, "action": "draft"},
    )
    assert response.status_code == 302
    body = CrmEmail.objects.get(status="draft").html
    assert "onerror" not in body and "script" not in body and "{{ first_name }}" in body


def test_a_signature_posted_with_script_is_stored_sanitized(client, alice):
    client.force_login(alice)
    response = client.post("/crm/correspondence/signature/add/", {"name": "Main", "body": EVIL})
    assert response.status_code == 302
    assert Signature.objects.get().body == sanitize_html(EVIL)


def test_the_unsubscribe_link_of_the_button_survives_the_sanitizer():
    link = '<p>Bye <a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'
    assert 'href="{{ unsubscribe_url }}"' in sanitize_html(link)
