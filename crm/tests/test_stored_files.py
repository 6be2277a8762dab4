"""Attachments are downloaded only through the checked view (crm/files.py), never from /media/."""

import importlib
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.urls import clear_url_caches, reverse

from correspondence.models import CrmEmail, CrmEmailAttachment
from massmail.models import Message, MessageAttachment


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = settings.SENDFILE_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


def login(client, user):
    client.force_login(user)
    return client


def attach(email, name, content, content_type):
    attachment = CrmEmailAttachment(email=email, filename=name, content_type=content_type, size=len(content))
    attachment.file.save(name, ContentFile(content), save=False)
    attachment.save()
    return attachment


@pytest.fixture
def offer_email(alice):
    """Mail of Alice's (East) department: an outgoing email she owns on a record of hers."""
    from crm.models import Company

    acme = Company.objects.create(full_name="Acme", email="info@acme.test", owner=alice)
    return CrmEmail.objects.create(
        direction="out",
        owner=alice,
        company=acme,
        subject="Offer",
        recipients="info@acme.test",
        message_id="<offer-1@crm.test>",
    )


def download_url(attachment, kind="email"):
    return reverse("mail:file", args=[kind, attachment.pk])


def test_the_owner_downloads_a_pdf_as_an_attachment(client, alice, offer_email):
    pdf = attach(offer_email, "offer.pdf", b"%PDF-1.4 offer", "application/pdf")
    response = login(client, alice).get(download_url(pdf))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 offer"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="offer.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_another_departments_user_gets_404(client, carol, offer_email):
    pdf = attach(offer_email, "offer.pdf", b"%PDF-1.4 offer", "application/pdf")
    assert login(client, carol).get(download_url(pdf)).status_code == 404


def test_an_anonymous_visitor_is_sent_to_login(client, offer_email):
    pdf = attach(offer_email, "offer.pdf", b"%PDF-1.4 offer", "application/pdf")
    response = client.get(download_url(pdf))
    assert response.status_code == 302 and response["Location"].startswith(reverse("crm:login"))


def test_an_uploaded_html_page_comes_back_as_an_opaque_download(client, alice, offer_email):
    evil = attach(offer_email, "evil.html", b"<script>alert(document.cookie)</script>", "text/html")
    response = login(client, alice).get(download_url(evil))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_svg_is_not_served_as_an_image(client, alice, offer_email):
    svg = attach(offer_email, "logo.svg", b"<svg onload='alert(1)'/>", "image/svg+xml")
    assert login(client, alice).get(download_url(svg))["Content-Type"] == "application/octet-stream"


def test_a_path_traversal_name_is_stored_harmlessly(client, alice, offer_email, media_root):
    sneaky = attach(offer_email, "../../settings.py", b"SECRET_KEY = 'x'", "text/x-python")
    stored = Path(sneaky.file.path).resolve()
    assert stored.is_relative_to(media_root.resolve() / "attachments")
    assert "settings" not in stored.name and ".." not in sneaky.file.name
    response = login(client, alice).get(download_url(sneaky))
    assert response["Content-Disposition"] == 'attachment; filename="settings.py"'


def test_a_unicode_name_is_encoded_as_rfc_6266_says(client, alice, offer_email):
    angebot = attach(offer_email, 'Angebot "Größe".pdf', b"%PDF", "application/pdf")
    response = login(client, alice).get(download_url(angebot))
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Angebot _Groe_.pdf"; ')
    assert "filename*=UTF-8''Angebot%20_Gr%C3%B6%C3%9Fe_.pdf" in disposition


def test_message_attachments_follow_the_message(client, alice, carol):
    message = Message.objects.create(owner=alice, subject="News", body="{{ unsubscribe_url }}")
    logo = MessageAttachment(message=message, filename="logo.png", content_type="image/png", inline=True)
    logo.file.save("logo.png", ContentFile(b"\x89PNG"), save=False)
    logo.save()
    response = login(client, alice).get(download_url(logo, "message"))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    client.logout()
    assert login(client, carol).get(download_url(logo, "message")).status_code == 404


def test_the_message_form_links_attachments_through_the_checked_view(client, alice):
    message = Message.objects.create(owner=alice, subject="News", body="{{ unsubscribe_url }}")
    pdf = MessageAttachment(message=message, filename="offer.pdf", content_type="application/pdf")
    pdf.file.save("offer.pdf", ContentFile(b"%PDF"), save=False)
    pdf.save()
    page = (
        login(client, alice).get(reverse("crm:massmail_message_change", args=[message.pk])).content.decode()
    )
    assert f'href="{download_url(pdf, "message")}"' in page
    assert pdf.file.name not in page


def test_the_thread_page_links_attachments_through_the_checked_view(client, alice, offer_email):
    pdf = attach(offer_email, "offer.pdf", b"%PDF", "application/pdf")
    page = login(client, alice).get(reverse("mail:thread"), {"key": offer_email.thread_key}).content.decode()
    assert f'href="{download_url(pdf)}"' in page
    assert pdf.file.name not in page


def test_offloading_to_nginx_sends_only_headers(client, alice, offer_email, settings):
    from django_sendfile.utils import _get_sendfile

    pdf = attach(offer_email, "offer.pdf", b"%PDF-1.4 offer", "application/pdf")
    settings.SENDFILE_BACKEND = "django_sendfile.backends.nginx"
    settings.SENDFILE_URL = "/protected-files"
    _get_sendfile.cache_clear()  # django-sendfile2 caches the backend per process
    try:
        response = login(client, alice).get(download_url(pdf))
    finally:
        _get_sendfile.cache_clear()
    assert response["X-Accel-Redirect"] == f"/protected-files/{pdf.file.name}"
    assert response.content == b""
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.fixture
def debug_urls(settings):
    """The project's URLconf as it is built with DEBUG on (it is read once, at import)."""
    import config.urls

    settings.DEBUG = True
    importlib.reload(config.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(config.urls)
    clear_url_caches()


def test_media_is_not_served_even_with_debug_on(client, alice, offer_email, debug_urls):
    pdf = attach(offer_email, "offer.pdf", b"%PDF-1.4 offer", "application/pdf")
    assert client.get(f"/media/{pdf.file.name}").status_code == 404
    assert login(client, alice).get(f"/media/{pdf.file.name}").status_code == 404
