import email
from email import policy

import pytest
from django.core.files.base import ContentFile

from correspondence.models import Signature
from crm.models import Company, Contact, Lead
from mailaccounts.models import EmailAccount
from mailkit import rendering
from massmail.compiling import compile_message
from massmail.models import Mailing, MailingRecipient, MassmailSettings, Message, MessageAttachment

BODY = (
    '<p>Hello {{ first_name }} of {{ company }},</p><p>See <a href="https://example.com/offer">our offer</a>.</p>'
    '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'
)


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "https://crm.example.com"


@pytest.fixture
def account(alice):
    return EmailAccount.objects.create(
        owner=alice, email="alice@sales.test", display_name="Alice Sales", reply_to="team@sales.test"
    )


@pytest.fixture
def mailing(alice):
    signature = Signature.objects.create(
        owner=alice, name="Main", body="<p>{{ user.name }}, {{ user.email }}</p>"
    )
    message = Message.objects.create(
        owner=alice, subject="Offer for {{ company }}", body=BODY, signature=signature
    )
    return Mailing.objects.create(owner=alice, message=message, recipient_type="contacts")


@pytest.fixture
def recipient(alice, mailing):
    company = Company.objects.create(full_name="Acme & Sons", owner=alice, email="info@acme.test")
    contact = Contact.objects.create(
        company=company, first_name="Zoë", last_name="Ng", email="zoe@acme.test", owner=alice
    )
    row = MailingRecipient.objects.create(
        mailing=mailing, contact=contact, email=contact.email, message_id=rendering.make_message_id()
    )
    return MailingRecipient.objects.select_related("company", "contact__company", "lead").get(pk=row.pk)


def parse(message):
    return email.message_from_bytes(message.as_bytes(), policy=policy.default)


def test_headers(mailing, recipient, account):
    msg = parse(compile_message(mailing).render(recipient, account))
    assert msg["Subject"] == "Offer for Acme & Sons"
    assert msg["From"] == "Alice Sales <alice@sales.test>"
    assert msg["To"] == "Zoë Ng <zoe@acme.test>"
    assert msg["Reply-To"] == "team@sales.test"
    assert msg["Message-ID"] == recipient.message_id
    assert recipient.message_id.endswith("@crm.example.com>")
    assert msg["Date"]
    assert msg["List-Id"] == f"<mailing-{mailing.pk}.crm.example.com>"
    assert msg["List-Unsubscribe"].startswith("<https://crm.example.com/m/u/")
    assert "mailto:" not in msg["List-Unsubscribe"]
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_mailto_unsubscribe_when_configured(mailing, recipient, account):
    MassmailSettings.objects.create(unsubscribe_mailto="unsubscribe@sales.test")
    msg = parse(compile_message(mailing).render(recipient, account))
    assert msg["List-Unsubscribe"].endswith(", <mailto:unsubscribe@sales.test?subject=unsubscribe>")


def test_multipart_alternative_with_text_from_html(mailing, recipient, account):
    msg = parse(compile_message(mailing).render(recipient, account))
    assert msg.get_content_type() == "multipart/alternative"
    text, html = msg.get_payload()
    assert text.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    assert "Hello Zoë of Acme &amp; Sons" in html.get_content()
    body = text.get_content()
    assert "Hello Zoë of Acme & Sons," in body
    assert "our offer (https://example.com/offer)" in body
    assert "Unsubscribe (https://" in body and "/m/u/" in body
    assert "Alice, alice@crm.test" in body, "the signature with the owner's variables"


def test_inline_images_and_attachments(mailing, recipient, account, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    message = mailing.message
    logo = MessageAttachment(
        message=message, filename="logo.png", content_type="image/png", inline=True, content_id="logo"
    )
    logo.file.save("logo.png", ContentFile(b"\x89PNG fake"))
    pdf = MessageAttachment(message=message, filename="offer.pdf", content_type="application/pdf")
    pdf.file.save("offer.pdf", ContentFile(b"%PDF-1.4 fake"))
    msg = parse(compile_message(mailing).render(recipient, account))
    assert msg.get_content_type() == "multipart/mixed"
    alternative, attachment = msg.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    related = alternative.get_payload()[1]
    assert related.get_content_type() == "multipart/related"
    image = related.get_payload()[1]
    assert image["Content-ID"] == "<logo>" and image.get_content() == b"\x89PNG fake"
    assert attachment.get_filename() == "offer.pdf" and attachment.get_content() == b"%PDF-1.4 fake"


def test_no_header_injection_through_subject_names_or_display_name(alice, account):
    company = Company.objects.create(full_name="Evil\r\nBcc: victim@x.test", owner=alice)
    message = Message.objects.create(owner=alice, subject="Hi {{ company }}\nX-Injected: 1", body=BODY)
    mailing = Mailing.objects.create(owner=alice, message=message, recipient_type="companies")
    row = MailingRecipient.objects.create(mailing=mailing, company=company, email="evil@x.test")
    account.display_name = "Alice\r\nBcc: all@x.test"
    raw = compile_message(mailing).render(row, account).as_bytes()
    headers = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nBcc:" not in headers and b"\nX-Injected" not in headers
    assert msg_header(raw, "Subject") == "Hi Evil Bcc: victim@x.test X-Injected: 1"


def msg_header(raw, name):
    return email.message_from_bytes(raw, policy=policy.default)[name]


def test_address_with_a_line_break_is_refused(mailing, account, alice):
    row = MailingRecipient.objects.create(mailing=mailing, email="a@x.test\r\nBcc: b@x.test")
    with pytest.raises(rendering.RenderError):
        compile_message(mailing).render(row, account)


def test_compiled_once_and_rendered_without_queries(mailing, recipient, account, django_assert_num_queries):
    compiled = compile_message(mailing)
    other = Lead.objects.create(
        first_name="Lee", company_name="Leeco", email="lee@x.test", owner=mailing.owner
    )
    lead_row = MailingRecipient(pk=10**6, mailing=mailing, lead=other, email=other.email, message_id="<a@b>")
    with django_assert_num_queries(0):
        first = compiled.render(recipient, account)
        second = compiled.render(lead_row, account)
    assert "Zoë" in first.get_body(("plain",)).get_content()
    assert "Hello Lee of Leeco" in second.get_body(("plain",)).get_content()


def test_validate_template():
    assert rendering.validate_template("Hi", BODY) == []
    errors = rendering.validate_template("Hi", "<p>Hello {{ first_name }}</p>")
    assert errors == ["The body must contain the unsubscribe link {{ unsubscribe_url }}."]
    assert rendering.validate_template("Hi", "<p>Hi</p>", require_unsubscribe=False) == []
    (error,) = rendering.validate_template("Hi", "<p>a</p>\n{{ unsubscribe_url }}\n{% if x %}")
    assert "line 3" in error and "body" in error
    (error,) = rendering.validate_template("Hi {{ frist_name }}", BODY)
    assert "Unknown variable {{ frist_name }}" in error
    assert rendering.validate_template("Hi {{ user.name }}", BODY + "{{ user.email|upper }}") == []
    (error,) = rendering.validate_template("Hi", BODY + "{% load static %}")
    assert "template error" in error
    assert rendering.validate_template("Hi\nBcc: x", BODY) == ["The subject must be one line."]


def test_render_for_record(alice):
    lead = Lead.objects.create(first_name="Lee", last_name="<b>Ko</b>", email="lee@x.test", owner=alice)
    subject, html = rendering.render_for_record(
        "For {{ full_name }}", "<p>{{ user.name }}: {{ full_name }}</p>", lead, alice
    )
    assert subject == "For Lee <b>Ko</b>"
    assert html == "<p>Alice: Lee &lt;b&gt;Ko&lt;/b&gt;</p>"


def test_html_to_text():
    html = "<h1>Title</h1><p>One<br>two</p><ul><li>a</li><li>b</li></ul><a href='mailto:x@y.test'>x@y.test</a><style>p{}</style>"
    assert rendering.html_to_text(html) == "Title\n\nOne\ntwo\n\n- a\n- b\nx@y.test"


def test_non_ascii_and_long_subjects_are_encoded_words(alice, account):
    subject = "Angebot für {{ company }} — " + "sehr lange Betreffzeile " * 6
    message = Message.objects.create(owner=alice, subject=subject, body=BODY)
    mailing = Mailing.objects.create(owner=alice, message=message, recipient_type="leads")
    lead = Lead.objects.create(owner=alice, email="l@x.test", company_name="Müller & Söhne")
    row = MailingRecipient.objects.create(mailing=mailing, lead=lead, email=lead.email)
    raw = compile_message(mailing).render(row, account).as_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii() and max(len(line) for line in head.split(b"\r\n")) <= 998
    assert msg_header(raw, "Subject") == subject.replace("{{ company }}", "Müller & Söhne").strip()
