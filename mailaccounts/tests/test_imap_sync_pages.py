# ruff: noqa: F811 (pytest fixtures imported by name)
"""Sync now and sync history on the account page, Import this conversation, the command and the task."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from correspondence.models import CrmEmail
from crm.models import Company, Contact, Request
from mailaccounts import imap_sync, tasks
from mailaccounts.models import AccountGrant, EmailAccount, SyncRun
from mailaccounts.tests.imap_helpers import account, mail, mailbox, media_root  # noqa: F401

pytestmark = pytest.mark.django_db


def login(client, user):
    client.logout()
    client.force_login(user)
    return client


@pytest.fixture
def offer(alice):
    company = Company.objects.create(full_name="Buyer Ltd", email="info@buyer.example", owner=alice)
    contact = Contact.objects.create(company=company, email="pat@buyer.example", owner=alice)
    return Request.objects.create(subject="Newsletter answer", owner=alice, contact=contact, company=company)


def test_sync_now_button_syncs_and_shows_the_result(client, root, account, mailbox, offer):
    mailbox.append(mail(subject=f"Re: [ticket:{offer.ticket}]"))
    client.force_login(root)

    response = client.post(
        reverse("admin:mailaccounts_emailaccount_sync_now", args=[account.pk]), follow=True
    )

    assert response.status_code == 200
    assert "1 new, 1 imported, 1 linked" in response.content.decode()
    page = client.get(reverse("admin:mailaccounts_emailaccount_change", args=[account.pk])).content.decode()
    assert "Sync now" in page and "Recent syncs" in page and "Recent syncs" in page
    assert CrmEmail.objects.filter(request=offer).count() == 1


def test_sync_now_is_post_only(client, root, account):
    client.force_login(root)

    response = client.get(reverse("admin:mailaccounts_emailaccount_sync_now", args=[account.pk]))

    assert response.status_code == 405
    assert not SyncRun.objects.exists()


def test_sync_now_on_an_account_that_needs_reconnecting_says_so(client, root, account):
    EmailAccount.objects.filter(pk=account.pk).update(is_active=False, needs_reconnect=True)
    client.force_login(root)

    response = client.post(
        reverse("admin:mailaccounts_emailaccount_sync_now", args=[account.pk]), follow=True
    )

    assert "re-connect it before syncing" in response.content.decode()
    assert not SyncRun.objects.exists()


def test_import_this_conversation_links_an_unticketed_thread(client, alice, account, mailbox, offer):
    mailbox.append(
        mail(subject="Re: Our November news", body="Interested!", message_id="<ans-1@buyer.example>")
    )
    mailbox.append(mail(subject="Unrelated", sender="someone@else.example"))
    imap_sync.sync_account(account)
    assert not CrmEmail.objects.exists()  # no ticket: the poller left it alone
    client.force_login(alice)
    url = reverse("crm:crm_request_import_conversation", args=[offer.pk])

    form = client.get(url)
    response = client.post(url, follow=True)

    assert "pat@buyer.example" in form.content.decode()
    change_page = client.get(reverse("crm:crm_request_change", args=[offer.pk])).content.decode()
    assert url in change_page and "Import this conversation" in change_page
    assert "1 messages found, 1 linked" in response.content.decode()
    email = CrmEmail.objects.get()
    assert (email.request, email.message_id, email.contact) == (offer, "<ans-1@buyer.example>", offer.contact)
    # The thread goes on: a reply to the imported message is linked by the poller.
    mailbox.append(mail(subject="Re: Re: Our November news", in_reply_to="<ans-1@buyer.example>"))
    account.refresh_from_db()
    imap_sync.sync_account(account)
    assert CrmEmail.objects.filter(request=offer).count() == 2


def test_import_by_message_id(client, alice, account, mailbox, offer):
    mailbox.append(mail(subject="Question", sender="x@other.example", message_id="<q-1@other.example>"))
    mailbox.append(mail(subject="Re: Question", sender="y@other.example", references="<q-1@other.example>"))
    mailbox.append(mail(subject="Other", sender="x@other.example"))
    client.force_login(alice)

    client.post(
        reverse("crm:crm_request_import_conversation", args=[offer.pk]), {"message_id": "<q-1@other.example>"}
    )

    assert sorted(CrmEmail.objects.filter(request=offer).values_list("subject", flat=True)) == [
        "Question",
        "Re: Question",
    ]


def test_import_searches_only_accounts_the_user_may_read(client, bob, account, mailbox, offer):
    offer.owner = bob
    offer.save()
    mailbox.append(mail(subject="Hi"))
    client.force_login(bob)
    url = reverse("crm:crm_request_import_conversation", args=[offer.pk])

    response = client.post(url, follow=True)
    assert "No mail account you may read" in response.content.decode()

    AccountGrant.objects.create(account=account, user=bob, access="read")
    client.post(url)
    assert CrmEmail.objects.filter(request=offer).count() == 1


def test_import_of_someone_elses_request_is_refused(client, carol, offer):
    client.force_login(carol)

    response = client.post(reverse("crm:crm_request_import_conversation", args=[offer.pk]))

    assert response.status_code in (403, 404)


def test_poll_imap_command(account, capsys):
    call_command("poll_imap")
    call_command("poll_imap", account=account.pk)

    assert capsys.readouterr().out.count(f"{account.email}: OK") == 2
    with pytest.raises(CommandError, match="No email account with id 999999"):
        call_command("poll_imap", account=999999)


def test_beat_task_enqueues_due_accounts(account, settings):
    from config.celery import app

    app.conf.task_always_eager = True
    try:
        tasks.poll_imap_accounts()
    finally:
        app.conf.task_always_eager = False

    assert account.sync_runs.get().ok
    assert imap_sync.take_due_accounts() == []  # the sync set its next time


def test_sales_manager_syncs_their_own_account_from_the_crm_site(client, alice, bob, account, mailbox, offer):
    mailbox.append(mail(subject=f"Re: [ticket:{offer.ticket}]"))
    client.force_login(alice)
    sync_now = reverse("crm:mailaccounts_emailaccount_sync_now", args=[account.pk])

    page = client.get(reverse("crm:mailaccounts_emailaccount_change", args=[account.pk])).content.decode()
    response = client.post(sync_now, follow=True)

    assert sync_now in page and "Sync status" in page
    assert "1 imported" in response.content.decode()
    client.logout()
    client.force_login(bob)
    assert client.post(sync_now).status_code in (403, 404)
    assert account.sync_runs.count() == 1


@pytest.fixture
def importing(alice):
    """An account with IMAP import on, never connected to (the pages below only show it)."""
    return EmailAccount.objects.create(
        owner=alice, email="alice@crm.test", imap_host="imap.crm.test", do_import=True
    )


def test_sync_now_shows_only_where_it_can_do_something(client, alice, dana, erin, importing):
    account = importing
    url = reverse("crm:mailaccounts_emailaccount_change", args=[account.pk])

    assert "Sync now" in login(client, alice).get(url).content.decode()
    for onlooker in (dana, erin):  # her department head, a company manager: they only look
        page = login(client, onlooker).get(url).content.decode()
        assert "Sync status" in page and "Sync now" not in page
    EmailAccount.objects.filter(pk=account.pk).update(do_import=False)
    page = login(client, alice).get(url).content.decode()
    assert "Sync now" not in page and "IMAP import is off" in page
    EmailAccount.objects.filter(pk=account.pk).update(do_import=True, imap_host="")
    page = login(client, alice).get(url).content.decode()
    assert "Sync now" not in page and f"{account.email} has no IMAP server set." in page


def test_sync_now_posted_while_import_is_off_says_so_and_syncs_nothing(client, alice, importing):
    account = importing
    EmailAccount.objects.filter(pk=account.pk).update(do_import=False)

    response = login(client, alice).post(
        reverse("crm:mailaccounts_emailaccount_sync_now", args=[account.pk]), follow=True
    )

    assert "IMAP import is off for" in response.content.decode()
    assert not SyncRun.objects.exists()


def test_import_this_conversation_shows_only_to_who_can_import(client, alice, erin, offer):
    url = reverse("crm:crm_request_change", args=[offer.pk])
    link = reverse("crm:crm_request_import_conversation", args=[offer.pk])

    assert link not in login(client, alice).get(url).content.decode()  # no mailbox with IMAP yet
    EmailAccount.objects.create(owner=alice, email="alice@crm.test", imap_host="imap.crm.test")
    assert link in login(client, alice).get(url).content.decode()
    page = login(client, erin).get(url).content.decode()  # a company manager reads, never changes
    assert "Newsletter answer" in page and link not in page
