import pytest

from correspondence.models import CrmEmail
from correspondence.tests.mail_fixtures import *  # noqa: F403
from correspondence.tests.mail_fixtures import account_on
from crm.tests.fixtures import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_write_email_from_a_request_page_reaches_the_server(
    page, live_server, alice, quote_request, smtp_sink, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    account_on(smtp_sink, alice)
    log_in(page, live_server, alice)
    record_url = f"{live_server.url}/crm/crm/request/{quote_request.pk}/change/"
    page.goto(record_url)
    page.click("text=Write email")
    page.wait_for_url("**/crm/mail/compose/request/**")
    assert page.input_value("#id_to") == "jane@acme.test"
    page.fill("#id_cc", "boss@acme.test")
    page.fill("#id_subject", "Your quote")
    page.locator(".field-body .tiptap").click()
    page.keyboard.type("Dear ")
    page.get_by_label("Insert a variable").select_option(label="First name")
    page.keyboard.type(", the quote is attached.")
    assert page.locator(".body-editor__unsubscribe").count() == 0, "one-to-one mail has no unsubscribe link"
    page.check("#id_read_receipt")
    attachment = tmp_path / "quote.txt"
    attachment.write_text("40 seats: 4,000 EUR")
    page.set_input_files("#id_attachments", str(attachment))
    page.click("button[value=send]")
    page.wait_for_url(record_url)
    assert "Sent to jane@acme.test, boss@acme.test." in page.inner_text(".messagelist")
    assert "Your quote" in page.inner_text("#timeline")

    received = smtp_sink.wait_for(1)[0]
    message = received.message
    assert sorted(received.rcpt_tos) == ["boss@acme.test", "jane@acme.test"]
    assert message["Subject"] == f"Your quote [ticket:{quote_request.ticket}]"
    assert message["Disposition-Notification-To"] == "alice@crm.test"
    assert message["Message-ID"] == CrmEmail.objects.get(request=quote_request).message_id
    assert "Dear Jane, the quote is attached." in message.get_body(("html",)).get_content()
    (part,) = message.iter_attachments()
    assert part.get_filename() == "quote.txt"
    assert part.get_content() == "40 seats: 4,000 EUR"
