import datetime as dt

import pytest
from django.urls import reverse

from correspondence import inbox
from correspondence.models import CrmEmail
from correspondence.tests.mail_fixtures import *  # noqa: F403
from correspondence.tests.mail_fixtures import account_on
from mailaccounts.models import AccountGrant, EmailAccount, ImapFolder

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def mail(account, message_id, minutes=0, **extra):
    extra.setdefault("direction", "in")
    extra.setdefault("folder", "INBOX")
    return CrmEmail.objects.create(
        account=account,
        message_id=message_id,
        date=T0 + dt.timedelta(minutes=minutes),
        sender=extra.pop("sender", "jane@acme.test"),
        **extra,
    )


@pytest.fixture
def personal(alice):
    return account_on(None, alice)


@pytest.fixture
def shared(bob):
    account = EmailAccount.objects.create(email="sales@crm.test", smtp_host="127.0.0.1")
    AccountGrant.objects.create(account=account, user=bob, access="read")
    ImapFolder.objects.create(account=account, name="INBOX")
    return account


def test_every_message_stores_its_thread_key_and_the_inbox_groups_by_it(personal, alice, client):
    # No Message-ID: a conversation of its own, named by its id, stored like any other key.
    lonely = mail(personal, "", subject="No id")
    assert lonely.thread_key == f"#{lonely.pk}"
    first = mail(personal, "<a@x>", 1, subject="Offer")
    mail(personal, "<b@x>", 2, references="<a@x>", subject="Re: Offer")
    keys = [t.key for t in inbox.conversations(CrmEmail.objects.all())]
    assert keys == ["<a@x>", lonely.thread_key] and first.thread_key == "<a@x>"
    # The page (no DISTINCT ON, so SQLite too) and one conversation by its stored key.
    client.force_login(alice)
    assert client.get(reverse("mail:inbox")).status_code == 200
    assert len(inbox.conversation_of(alice, lonely.thread_key)) == 1


def test_replies_join_the_conversation_of_their_first_reference(personal):
    root = mail(personal, "<a@x>", subject="Offer")
    reply = mail(personal, "<b@x>", 5, in_reply_to="<a@x>", references="<a@x>", subject="Re: Offer")
    # A client that dropped References: the stored parent's conversation still wins.
    late = mail(personal, "<c@x>", 9, in_reply_to="<b@x>", subject="Re: Re: Offer")
    other = mail(personal, "<z@x>", 7, subject="Unrelated")
    assert root.thread_key == reply.thread_key == late.thread_key == "<a@x>"
    threads = inbox.conversations(CrmEmail.objects.all())
    assert [(t.key, t.count, t.latest) for t in threads] == [("<a@x>", 3, late), ("<z@x>", 1, other)]


def test_inbox_shows_the_mail_of_accounts_one_may_read(alice, bob, carol, personal, shared):
    mail(personal, "<p@x>", subject="Personal")
    mail(shared, "<s@x>", subject="Shared")
    subjects = {user: {e.subject for e in inbox.mail_of(user)} for user in (alice, bob, carol)}
    assert subjects == {alice: {"Personal"}, bob: {"Shared"}, carol: set()}
    assert [f.name for f in inbox.folders_for(bob)] == ["INBOX"]


def test_mail_linked_to_a_record_shows_to_whoever_sees_the_record(dana, carol, jane, shared):
    mail(shared, "<r@x>", subject="About Jane", contact=jane)
    assert [e.subject for e in inbox.mail_of(dana)] == ["About Jane"]
    assert not inbox.mail_of(carol).exists()


def test_search_and_unread(alice, personal):
    mail(personal, "<1@x>", subject="Invoice 42", is_read=True)
    mail(personal, "<2@x>", subject="Hello", text="about the invoice")
    mail(personal, "<3@x>", subject="Lunch")
    assert {e.subject for e in inbox.mail_of(alice, q="invoice")} == {"Invoice 42", "Hello"}
    assert {e.subject for e in inbox.mail_of(alice, unread=True)} == {"Hello", "Lunch"}
    assert inbox.unread_count(alice) == 2


def test_drafts_stay_out_of_the_inbox(alice, personal):
    mail(personal, "", status="draft", direction="out", subject="Unfinished")
    assert not inbox.mail_of(alice).exists()


def logged_in(client, user):
    client.force_login(user)
    return client


def test_inbox_and_conversation_pages(client, alice, personal):
    mail(personal, "<a@x>", subject="Offer", text="Dear Alice")
    mail(personal, "<b@x>", 5, in_reply_to="<a@x>", references="<a@x>", subject="Re: Offer")
    client = logged_in(client, alice)
    page = client.get(reverse("mail:inbox"))
    assert page.status_code == 200 and "Re: Offer" in page.content.decode()
    assert "2 unread" in page.content.decode()
    thread = client.get(reverse("mail:thread"), {"key": "<a@x>"})
    first = CrmEmail.objects.get(message_id="<a@x>")
    body_url = reverse("mail:body", args=[first.pk])
    assert thread.status_code == 200 and f'src="{body_url}"' in thread.content.decode()
    assert "Dear Alice" in client.get(body_url).content.decode()  # the message, in its frame
    assert CrmEmail.objects.filter(is_read=False).count() == 2, "a GET changes nothing"
    client.post(reverse("mail:mark_read"), {"key": "<a@x>"}, HTTP_HX_REQUEST="true")
    assert not CrmEmail.objects.filter(is_read=False).exists()
    client.post(reverse("mail:mark_read"), {"key": "<a@x>", "read": "0"})
    assert CrmEmail.objects.filter(is_read=False).count() == 2


def test_a_conversation_one_may_not_read_is_a_404(client, carol, personal):
    mail(personal, "<a@x>", subject="Offer")
    assert logged_in(client, carol).get(reverse("mail:thread"), {"key": "<a@x>"}).status_code == 404


def test_reply_from_a_conversation_opens_a_threaded_draft(client, alice, personal):
    incoming = mail(personal, "<a@x>", subject="Offer")
    response = logged_in(client, alice).post(reverse("mail:reply", args=[incoming.pk]))
    draft = CrmEmail.objects.get(status="draft")
    assert response["Location"] == reverse("mail:compose_edit", args=[draft.pk])
    assert (draft.in_reply_to, draft.subject, draft.thread_key) == ("<a@x>", "Re: Offer", "<a@x>")
    assert client.get(response["Location"]).status_code == 200


def test_sent_mail_is_never_unread(alice, personal):
    mail(personal, "<s@x>", direction="out", subject="Sent copy")
    mail(personal, "<i@x>", subject="Received")
    assert [t.unread for t in inbox.conversations(inbox.mail_of(alice))] == [1, 0]
    assert [e.subject for e in inbox.mail_of(alice, unread=True)] == ["Received"]


def test_a_user_turns_the_daily_digest_on_and_off(client, alice):
    client = logged_in(client, alice)
    client.post(reverse("mail:digest"), {"on": "1"})
    alice.refresh_from_db()
    assert alice.email_digest
    assert "Stop the daily digest" in client.get(reverse("mail:inbox")).content.decode()
    client.post(reverse("mail:digest"), {"on": "0"})
    alice.refresh_from_db()
    assert not alice.email_digest


def test_sent_lists_what_went_out_and_its_pages_keep_the_filter(client, alice, personal):
    mail(personal, "<s@x>", direction="out", status="sent", subject="Our offer")
    mail(personal, "<i@x>", subject="A question")
    assert [e.subject for e in inbox.mail_of(alice, sent=True)] == ["Our offer"]
    for n in range(55):  # more than a page of conversations
        mail(personal, f"<o{n}@x>", n + 1, direction="out", status="sent", subject=f"Offer {n}")
    page = logged_in(client, alice).get(reverse("mail:inbox"), {"sent": "1", "q": "offer"}).content.decode()
    assert "<h1>Sent</h1>" in page and "A question" not in page
    assert 'href="?sent=1&amp;q=offer&amp;page=2">Older</a>' in page
    assert '<input type="hidden" name="sent" value="1">' in page  # a search stays in Sent
