import datetime as dt
import itertools

import pytest
import time_machine
from django.urls import reverse

from correspondence import inbox
from correspondence.models import CrmEmail, Notification
from correspondence.tests.mail_fixtures import account_on
from crm.models import Company, Tag
from mailaccounts.models import AccountGrant, EmailAccount

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
_ids = itertools.count()


@pytest.fixture
def shared(alice, bob, carol):
    account = EmailAccount.objects.create(
        email="sales@crm.test", smtp_host="127.0.0.1", assignment="round_robin"
    )
    for user in (alice, bob, carol):
        AccountGrant.objects.create(account=account, user=user, access="full")
    return account


def incoming(account, **extra):
    n = next(_ids)
    extra.setdefault("message_id", f"<in{n}@customer.test>")
    return CrmEmail.objects.create(
        account=account, direction="in", sender="buyer@customer.test", subject=f"Question {n}", **extra
    )


def route():
    with time_machine.travel(T0 + dt.timedelta(seconds=next(_ids)), tick=False):
        return inbox.route_new_mail()


def assignees(emails):
    return [CrmEmail.objects.get(pk=e.pk).assigned_to.username for e in emails]


def test_round_robin_takes_turns_and_a_reply_stays_with_its_assignee(shared):
    first = incoming(shared)
    route()
    second, third = incoming(shared), incoming(shared)
    route()
    route()
    fourth = incoming(shared)
    route()
    assert assignees([first, second, third, fourth]) == ["alice", "bob", "carol", "alice"]
    reply = incoming(shared, in_reply_to=second.message_id, references=second.message_id)
    route()
    assert assignees([reply]) == ["bob"]
    notes = Notification.objects.filter(kind="assigned")
    assert notes.count() == 4
    assert Notification.objects.filter(user__username="bob", kind="new_email", email=reply).exists()


def test_territory_goes_to_the_member_of_the_companys_country(shared, alice, carol):
    shared.assignment = "territory"
    shared.save()
    AccountGrant.objects.filter(user=carol).update(countries="France, Germany")
    AccountGrant.objects.filter(user=alice).update(countries="Spain")
    german = Company.objects.create(full_name="Bau GmbH", country="Germany", owner=alice)
    email = incoming(shared, company=german)
    nowhere = incoming(shared)
    route()
    assert assignees([email]) == ["carol"]
    assert CrmEmail.objects.get(pk=nowhere.pk).assigned_to is None
    # Nobody's territory: every member hears of it.
    assert Notification.objects.filter(kind="new_email", email=nowhere).count() == 3


def test_a_territory_typed_as_codes_or_aliases_meets_the_lists_country_names(shared, alice, carol):
    shared.assignment = "territory"
    shared.save()
    AccountGrant.objects.filter(user=carol).update(countries="USA, uk")
    AccountGrant.objects.filter(user=alice).update(countries="Deutschland")
    american = Company.objects.create(full_name="Acme Inc", country="United States of America", owner=alice)
    typed_before = Company.objects.create(full_name="Bau GmbH", country="DE", owner=alice)
    to_carol, to_alice = incoming(shared, company=american), incoming(shared, company=typed_before)
    route()
    assert assignees([to_carol, to_alice]) == ["carol", "alice"]


def test_product_goes_to_the_member_of_the_records_tag(shared, alice, bob):
    shared.assignment = "product"
    shared.save()
    crm_tag = Tag.objects.create(name="CRM")
    AccountGrant.objects.get(user=bob).products.add(crm_tag)
    company = Company.objects.create(full_name="Acme", owner=alice)
    company.tags.add(crm_tag)
    email = incoming(shared, company=company)
    route()
    assert assignees([email]) == ["bob"]


def test_by_hand_notifies_members_and_a_person_assigns(client, shared, alice, bob):
    shared.assignment = "manual"
    shared.save()
    email = incoming(shared)
    route()
    assert CrmEmail.objects.get(pk=email.pk).assigned_to is None
    assert Notification.objects.filter(kind="new_email").count() == 3
    client.force_login(alice)
    response = client.post(reverse("mail:assign"), {"key": email.thread_key, "user": bob.pk})
    assert response.status_code == 302
    assert assignees([email]) == ["bob"]
    note = Notification.objects.get(kind="assigned")
    assert note.user == bob and "by Alice" in note.text


def test_each_email_is_routed_once(shared):
    incoming(shared)
    assert route() == 1
    assert route() == 0
    assert Notification.objects.count() == 1


def test_a_personal_account_notifies_its_owner(alice):
    account = account_on(None, alice)
    email = incoming(account)
    route()
    note = Notification.objects.get()
    assert (note.user, note.kind, note.email) == (alice, "new_email", email)
    assert CrmEmail.objects.get(pk=email.pk).assigned_to is None


def test_daily_digest_is_mailed_to_who_asked_for_it(alice, bob, smtp_sink, shared):
    alice.email_digest = True
    alice.save()
    account_on(smtp_sink, alice)
    incoming(shared)
    route()
    with time_machine.travel(T0 + dt.timedelta(hours=20), tick=False):
        assert inbox.send_daily_digests() == 1
    message = smtp_sink.wait_for(1)[0].message
    assert message["To"] == "alice@crm.test"
    assert "unread email(s) assigned to you" in message.get_content()


def test_old_mail_of_a_first_sync_is_not_news(shared):
    with time_machine.travel(T0, tick=False):
        old = incoming(shared, date=T0 - dt.timedelta(days=30))
        assert inbox.route_new_mail() == 1
    assert CrmEmail.objects.get(pk=old.pk).assigned_to is None
    assert not Notification.objects.exists()
