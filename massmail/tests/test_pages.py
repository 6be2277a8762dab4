"""The /crm/ pages of mass mail: messages, the mailings list and page, creating mailings."""

import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client

from correspondence.models import Signature
from crm.models import Company, Contact, Lead
from mailaccounts.models import EmailAccount
from massmail import mailings
from massmail.models import Mailing, MassmailSettings, Message

BODY = '<p>Hi {{ first_name }}</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'


def login(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def message(alice):
    return Message.objects.create(owner=alice, name="Spring", subject="Spring offer", body=BODY)


@pytest.fixture
def mailing(alice, message):
    company = Company.objects.create(full_name="Acme", owner=alice, email="info@acme.test")
    for n in range(4):
        Contact.objects.create(
            company=company, owner=alice, email=f"c{n}@acme.test", first_name=f"C{n}", is_vip=n == 0
        )
    return mailings.create_mailing(alice, message, Contact.objects.all())


def test_message_form_sanitizes_and_reports_template_errors(alice):
    client = login(alice)
    data = {"name": "x", "subject": "Hi", "attachments-TOTAL_FORMS": 0, "attachments-INITIAL_FORMS": 0}
    response = client.post("/crm/massmail/message/add/", {**data, "body": "<p>{% if %}</p>"})
    assert response.status_code == 200
    assert b"template error" in response.content
    response = client.post("/crm/massmail/message/add/", {**data, "body": "<p>Hi</p>"})
    assert b"must contain the unsubscribe link" in response.content
    response = client.post(
        "/crm/massmail/message/add/",
        {**data, "body": BODY + '<img src=x onerror="alert(1)"><script>x()</script>'},
    )
    assert response.status_code == 302
    saved = Message.objects.get()
    assert saved.owner == alice and "onerror" not in saved.body and "script" not in saved.body
    assert "{{ unsubscribe_url }}" in saved.body


def test_signature_form_needs_no_unsubscribe_link(alice):
    response = login(alice).post(
        "/crm/correspondence/signature/add/", {"name": "Main", "body": "<b>{{ user.name }}</b>"}
    )
    assert response.status_code == 302
    assert Signature.objects.get().owner == alice


def test_preview_for_a_chosen_record(alice, mailing, message):
    response = login(alice).get(
        f"/crm/massmail/message/{message.pk}/preview/?recipient_type=contacts&search=c2@"
    )
    assert response.status_code == 200
    assert b"Hi C2" in response.content and b"Spring offer" in response.content


def test_send_a_test_without_an_account_says_why(alice, message):
    response = login(alice).post(
        f"/crm/massmail/message/{message.pk}/send-test/", {"recipient_type": "contacts"}, follow=True
    )
    assert b"no usable email account" in response.content


def test_send_a_test_to_me(alice, mailing, message, smtp_sink):
    EmailAccount.objects.create(
        owner=alice,
        email="alice@sales.test",
        smtp_host=smtp_sink.host,
        smtp_port=smtp_sink.port,
        smtp_security="none",
    )
    response = login(alice).post(
        f"/crm/massmail/message/{message.pk}/send-test/", {"recipient_type": "contacts"}, follow=True
    )
    assert b"A test was sent to alice@crm.test" in response.content
    (received,) = smtp_sink.wait_for(1)
    assert received.rcpt_tos == ["alice@crm.test"]
    assert received.subject == "[Test] Spring offer"


def test_after_a_test_send_the_preview_shows_the_record_the_test_used(alice, mailing, message, smtp_sink):
    EmailAccount.objects.create(
        owner=alice,
        email="alice@sales.test",
        smtp_host=smtp_sink.host,
        smtp_port=smtp_sink.port,
        smtp_security="none",
    )
    client = login(alice)
    preview = client.get(
        f"/crm/massmail/message/{message.pk}/preview/?recipient_type=contacts&search=c2@"
    ).content.decode()
    c2 = Contact.objects.get(email="c2@acme.test")
    # The test form carries the previewed record; the search form does not (a new search is free).
    assert preview.count('name="record"') == 1 and f'name="record" value="{c2.pk}"' in preview

    response = client.post(
        f"/crm/massmail/message/{message.pk}/send-test/",
        {"recipient_type": "contacts", "search": "c2@", "record": c2.pk},
        follow=True,
    )

    (received,) = smtp_sink.wait_for(1)
    assert "Hi C2" in received.message.get_body(("html",)).get_content()
    assert b"A test was sent" in response.content
    assert b"Hi C2" in response.content and b"For <strong>C2" in response.content


def test_a_test_for_a_chosen_record_is_sent_and_previewed_for_that_record(alice, mailing, message, smtp_sink):
    EmailAccount.objects.create(
        owner=alice,
        email="alice@sales.test",
        smtp_host=smtp_sink.host,
        smtp_port=smtp_sink.port,
        smtp_security="none",
    )
    lead = Lead.objects.create(owner=alice, first_name="Lee", email="lee@leads.test")
    c3 = Contact.objects.get(email="c3@acme.test")
    client = login(alice)

    # No search: the record id alone picks the record, not the first contact.
    response = client.post(
        f"/crm/massmail/message/{message.pk}/send-test/", {"recipient_type": "contacts", "record": c3.pk}
    )
    assert response.url.endswith(f"recipient_type=contacts&search=&record={c3.pk}")
    assert b"Hi C3" in client.get(response.url).content
    response = client.post(f"/crm/massmail/message/{message.pk}/send-test/", {"recipient_type": "leads"})
    assert response.url.endswith(f"recipient_type=leads&search=&record={lead.pk}")
    assert b"Hi Lee" in client.get(response.url).content
    first, second = smtp_sink.wait_for(2)
    assert "Hi C3" in first.message.get_body(("html",)).get_content()
    assert "Hi Lee" in second.message.get_body(("html",)).get_content()


def test_a_record_id_the_user_does_not_see_fills_nothing(alice, bob, message):
    company = Company.objects.create(full_name="Bobs", owner=bob)
    theirs = Contact.objects.create(company=company, owner=bob, first_name="Secret", email="secret@acme.test")

    page = login(alice).get(
        f"/crm/massmail/message/{message.pk}/preview/?recipient_type=contacts&record={theirs.pk}"
    )

    assert b"Secret" not in page.content and b"No matching record" in page.content


def test_mailings_list_shows_progress_accounts_and_notifications(alice, bob, mailing):
    EmailAccount.objects.create(owner=alice, email="ok@sales.test", massmail=True)
    EmailAccount.objects.create(
        owner=alice, email="off@sales.test", massmail=True, is_active=False, last_error="535 bad login"
    )
    mailing.recipients.filter(email="c0@acme.test").update(status="sent")
    for user in (alice, bob):  # bob is in the same department
        response = login(user).get("/crm/massmail/mailing/")
        assert response.status_code == 200
        html = response.content.decode()
        assert 'class="progress"' in html and 'aria-valuenow="25"' in html
        assert 'class="star-ok" title="ok@sales.test: usable' in html
        assert 'class="star-bad" title="off@sales.test: disabled. 535 bad login"' in html
        assert "Created with 4 recipients" in html
        # The name is clipped in the list; its tooltip has the name, the subject and the text.
        assert re.search(r'class="clip" title="[^"]*Spring offer', html)


def test_list_search_filters_and_sorting(alice, mailing, dana):
    client = login(dana)
    for query in (
        f"?q={mailing.pk}",
        "?q=Spring",
        "?vip=yes",
        "?o=5",
        "?o=-7",
        f"?owner__id__exact={alice.pk}",
    ):
        response = client.get("/crm/massmail/mailing/" + query)
        assert response.status_code == 200, query
        assert b"Spring" in response.content, query
    assert b"Spring" not in client.get("/crm/massmail/mailing/?vip=no").content


def test_other_departments_mailings_are_404(carol, mailing):
    client = login(carol)
    assert b"Spring" not in client.get("/crm/massmail/mailing/").content
    for url in ("change/", "progress/"):
        assert client.get(f"/crm/massmail/mailing/{mailing.pk}/{url}").status_code == 404
    assert client.post(f"/crm/massmail/mailing/{mailing.pk}/pause/").status_code == 404


def test_mailing_page_lists_recipients_and_pauses_on_post_only(alice, bob, mailing):
    client = login(alice)
    response = client.get(f"/crm/massmail/mailing/{mailing.pk}/change/?status=pending")
    assert response.status_code == 200 and b"c3@acme.test" in response.content
    assert client.get(f"/crm/massmail/mailing/{mailing.pk}/pause/").status_code == 405
    client.post(f"/crm/massmail/mailing/{mailing.pk}/pause/")
    assert Mailing.objects.get().status == "paused"
    # Bob sees his colleague's mailing but may not change it.
    assert login(bob).post(f"/crm/massmail/mailing/{mailing.pk}/resume/").status_code == 404
    client.post(f"/crm/massmail/mailing/{mailing.pk}/resume/")
    assert Mailing.objects.get().status == "active"


def test_progress_fragment_polls_only_while_active(alice, mailing):
    client = login(alice)
    body = client.get(f"/crm/massmail/mailing/{mailing.pk}/progress/").content
    assert b'hx-trigger="every 3s"' in body and b'aria-valuenow="0"' in body
    mailing.recipients.update(status="sent")
    mailings.finish(mailing)
    body = client.get(f"/crm/massmail/mailing/{mailing.pk}/progress/").content
    assert b"hx-trigger" not in body and b'aria-valuenow="100"' in body


def test_make_massmail_action_asks_for_the_message_then_creates(alice, bob, message):
    mine = Lead.objects.create(owner=alice, email="mine@x.test")
    Lead.objects.create(owner=bob, email="bobs@x.test")
    client = login(alice)
    data = {"action": "make_massmail", ACTION_CHECKBOX_NAME: [mine.pk]}
    response = client.post("/crm/crm/lead/", data)
    assert response.status_code == 200 and b"Review the mailing" in response.content
    response = client.post("/crm/crm/lead/", {**data, "apply": "1", "message": message.pk, "name": "Leads"})
    created = Mailing.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/mailing/{created.pk}/change/")
    assert (created.name, created.recipient_type, created.recipients_count) == ("Leads", "leads", 1)


def test_make_massmail_is_offered_only_to_who_may_make_mailings(alice, dana, erin):
    Lead.objects.create(owner=alice, email="mine@x.test")
    for user, offered in ((alice, True), (dana, True), (erin, False)):
        actions = dict(login(user).get("/crm/crm/lead/").context["action_form"].fields["action"].choices)
        assert ("make_massmail" in actions) is offered, user


def test_create_mailing_page_counts_then_creates(alice, bob, message):
    company = Company.objects.create(full_name="Acme", owner=alice, email="info@acme.test", country="Germany")
    Company.objects.create(full_name="Bobco", owner=bob, email="info@bobco.test", country="Germany")
    Company.objects.create(full_name="Elsewhere", owner=alice, email="x@x.test", country="France")
    client = login(alice)
    form = {
        "message": message.pk,
        "recipient_type": "companies",
        "country": "germany",
        "accepts_newsletters": "on",
    }
    response = client.post("/crm/massmail/mailing/create/", {**form, "count": "1"})
    assert b"<strong>1</strong> recipients" in response.content
    assert b"not assigned to you" in response.content
    assert b'name="owner"' not in response.content, "a sales manager has no owner filter"
    response = client.post("/crm/massmail/mailing/create/", {**form, "create": "1"})
    created = Mailing.objects.get()
    assert response.status_code == 302
    assert list(created.recipients.values_list("company", flat=True)) == [company.pk]
    assert client.get("/crm/massmail/mailing/add/")["Location"] == "/crm/massmail/mailing/create/"


def test_combine_action_with_confirmation(alice, mailing, message):
    second = mailings.create_mailing(alice, message, Contact.objects.filter(email="c1@acme.test"))
    client = login(alice)
    data = {"action": "combine_mailings", ACTION_CHECKBOX_NAME: [mailing.pk, second.pk]}
    response = client.post("/crm/massmail/mailing/", data)
    assert b"Yes, combine" in response.content
    assert Mailing.objects.get(pk=second.pk).status == "active"
    client.post("/crm/massmail/mailing/", {**data, "post": "yes"})
    assert Mailing.objects.get(pk=second.pk).status == "done"


def test_massmail_settings_admin(root):
    client = login(root)
    url = client.get("/admin/massmail/massmailsettings/")["Location"]
    assert url == "/admin/massmail/massmailsettings/add/", "nothing is stored by looking"
    page = client.get(url).content.decode()
    assert 'type="checkbox" name="non_working_days" value="4"' in page
    data = {
        "use_business_time": "on",
        "business_start": "09:00",
        "business_end": "17:00",
        "time_zone": "Mars/Olympus",
        "non_working_days": ["5", "6"],
        "default_daily_limit": 50,
    }
    assert b"is not a time zone name" in client.post(url, data).content
    assert client.post(url, {**data, "time_zone": "Europe/Berlin"}).status_code == 302
    saved = MassmailSettings.load()
    assert (saved.time_zone, saved.non_working_days) == ("Europe/Berlin", [5, 6])
    change = client.get("/admin/massmail/massmailsettings/")["Location"]
    assert change == "/admin/massmail/massmailsettings/1/change/"
    page = client.get(change).content.decode()
    assert 'value="5" id="id_non_working_days_5" checked' in page
    assert 'value="4" id="id_non_working_days_4" checked' not in page


def test_visibility_by_role(alice, bob, carol, dana, erin, mailing, message):
    carols = Message.objects.create(owner=carol, subject="West", body=BODY)
    Lead.objects.create(owner=carol, email="w@x.test")
    west = mailings.create_mailing(carol, carols, Lead.objects.all())
    assert login(dana).get(f"/crm/massmail/mailing/{west.pk}/change/").status_code == 404
    assert login(dana).get(f"/crm/massmail/mailing/{mailing.pk}/change/").status_code == 200
    # A company manager sees every department, with a department filter, and changes nothing.
    client = login(erin)
    page = client.get("/crm/massmail/mailing/").content.decode()
    assert "Spring" in page and "West" in page and "By department" in page
    assert client.get(f"/crm/massmail/mailing/{west.pk}/change/").status_code == 200
    assert client.post(f"/crm/massmail/mailing/{west.pk}/pause/").status_code == 404
    # Messages are their author's: a colleague gets a 404.
    assert login(bob).get(f"/crm/massmail/message/{message.pk}/change/").status_code == 404
    assert login(bob).get(f"/crm/massmail/message/{message.pk}/preview/").status_code == 404


def test_preview_html_is_shown_sandboxed_and_escaped(alice, mailing, message):
    page = login(alice).get(f"/crm/massmail/message/{message.pk}/preview/").content.decode()
    assert 'sandbox=""' in page
    assert 'srcdoc="&lt;p&gt;Hi C0&lt;/p&gt;&lt;p&gt;&lt;a href=&quot;#unsubscribe-preview&quot;' in page


def test_message_with_an_inline_image_and_an_attachment(alice, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = str(tmp_path)
    data = {
        "name": "With files",
        "subject": "Hi",
        "body": BODY + '<img src="cid:logo.png" alt="Logo">',
        "attachments-TOTAL_FORMS": 2,
        "attachments-INITIAL_FORMS": 0,
        "attachments-0-file": SimpleUploadedFile("logo.png", b"\x89PNG", content_type="image/png"),
        "attachments-0-inline": "on",
        "attachments-1-file": SimpleUploadedFile("offer.pdf", b"%PDF", content_type="application/pdf"),
    }
    response = login(alice).post("/crm/massmail/message/add/", data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    logo, pdf = Message.objects.get().attachments.order_by("filename")
    assert (logo.filename, logo.content_type, logo.inline, logo.content_id) == (
        "logo.png",
        "image/png",
        True,
        "logo.png",
    )
    assert (pdf.filename, pdf.content_type, pdf.inline) == ("offer.pdf", "application/pdf", False)
    assert 'src="cid:logo.png"' in Message.objects.get().body


def test_recipients_list_is_scoped_and_read_only(alice, carol, mailing):
    url = f"/crm/massmail/mailingrecipient/?mailing__id__exact={mailing.pk}&status__exact=pending"
    page = login(alice).get(url).content.decode()
    assert "c0@acme.test" in page and "c3@acme.test" in page
    assert "c0@acme.test" not in login(carol).get("/crm/massmail/mailingrecipient/").content.decode()
    row = mailing.recipients.first()
    assert login(carol).get(f"/crm/massmail/mailingrecipient/{row.pk}/change/").status_code == 404
    assert (
        login(alice).post(f"/crm/massmail/mailingrecipient/{row.pk}/change/", {"status": "sent"}).status_code
        == 403
    )
