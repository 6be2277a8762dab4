"""Issue 12: stored mail is shown only in a sandboxed frame served by a checked view with its
own Content-Security-Policy; every page carries the site's policy; no template of ours has
inline script."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from correspondence.models import CrmEmail
from correspondence.tests.mail_fixtures import *  # noqa: F403
from correspondence.tests.mail_fixtures import account_on
from testsupport.xss import PAYLOAD

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(alice, jane):
    """A client's message as a raw form could have stored it: HTML never sanitized."""
    return CrmEmail.objects.create(
        account=account_on(None, alice),
        direction="in",
        message_id="<x1@acme.test>",
        subject="Hello",
        sender="jane@acme.test",
        contact=jane,
        date=dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC),
        html=PAYLOAD + '<script>window.__xss=1</script><img src="https://tracker.test/p.gif">',
    )


def policy(response):
    return dict((part.split(" ", 1) + [""])[:2] for part in response["Content-Security-Policy"].split("; "))


def test_the_thread_page_shows_mail_only_in_a_sandboxed_frame(client, alice, imported):
    client.force_login(alice)
    page = client.get(reverse("mail:thread"), {"key": imported.thread_key}).content.decode()
    assert "__xss" not in page and "tracker.test" not in page
    frame = re.search(r"<iframe[^>]*>", page).group(0)
    sandbox = re.search(r'sandbox="([^"]*)"', frame).group(1)
    assert "allow-scripts" not in sandbox and "allow-same-origin" not in sandbox
    body_url = reverse("mail:body", args=[imported.pk])
    assert f'src="{body_url}"' in frame
    assert f'href="{body_url}?images=1" target="email-frame-{imported.pk}"' in page


def test_the_frames_document_has_its_own_strict_policy_and_images_on_request(client, alice, imported):
    client.force_login(alice)
    response = client.get(reverse("mail:body", args=[imported.pk]))
    assert response.status_code == 200 and "window.__xss" in response.content.decode()  # inert here
    csp = policy(response)
    assert csp["default-src"] == "'none'" and "script-src" not in csp
    assert csp["img-src"] == "'none'"
    assert "sandbox" in csp and "allow-scripts" not in csp["sandbox"]
    assert "allow-same-origin" not in csp["sandbox"]
    assert response["X-Frame-Options"] == "SAMEORIGIN" and response["Referrer-Policy"] == "no-referrer"
    with_images = policy(client.get(reverse("mail:body", args=[imported.pk]), {"images": "1"}))
    assert with_images["img-src"] == "https: http:" and with_images["default-src"] == "'none'"


def test_the_frames_document_is_only_for_those_who_may_see_the_mail(client, carol, bob, imported):
    for user in (carol, bob):
        client.force_login(user)
        assert client.get(reverse("mail:body", args=[imported.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("mail:body", args=[imported.pk])).status_code == 302  # to the login


@pytest.mark.parametrize(
    "url",
    ["/crm/login/", "/crm/", "/crm/mail/", "/crm/crm/company/", "/crm/massmail/mailing/", "/admin/"],
)
def test_every_page_has_a_policy_that_allows_only_our_own_scripts(client, root, url):
    if "login" not in url:
        client.force_login(root)
    response = client.get(url)
    assert response.status_code == 200
    csp = policy(response)
    assert csp["script-src"] == "'self'" and csp["object-src"] == "'none'"
    assert "'unsafe-inline'" not in csp["default-src"] and "'unsafe-eval'" not in csp["default-src"]


def test_no_template_of_ours_has_inline_script_or_event_handlers():
    roots = [Path(settings.BASE_DIR) / "templates"] + [
        Path(settings.BASE_DIR) / app / "templates"
        for app in ("crm", "mailaccounts", "correspondence", "massmail", "demo")
    ]
    found = []
    for path in (p for root in roots for p in root.rglob("*.html")):
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag:
                found.append(f"{path}: {tag}")
        found += [f"{path}: {m}" for m in re.findall(r"\son[a-z]+\s*=", text)]
        found += [f"{path}: {m}" for m in re.findall(r"javascript:", text, re.IGNORECASE)]
    assert found == []
