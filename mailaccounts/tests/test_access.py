"""Who sees, sends through, reads and edits which account."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef

from crm.models import User
from mailaccounts.models import AccountGrant, EmailAccount


@pytest.fixture
def accounts(alice, bob):
    personal = EmailAccount.objects.create(owner=alice, email="alice@crm.test")
    bobs = EmailAccount.objects.create(owner=bob, email="bob@crm.test")
    full, send, read = (
        EmailAccount.objects.create(email=f"{kind}@crm.test") for kind in ("full", "send", "read")
    )
    for account, access in ((full, "full"), (send, "send"), (read, "read")):
        AccountGrant.objects.create(account=account, user=alice, access=access)
    EmailAccount.objects.create(email="ungranted@crm.test")
    return personal, bobs, full, send, read


def emails(queryset):
    return sorted(queryset.values_list("email", flat=True))


def test_personal_account_is_its_owners_only(alice, bob, accounts):
    assert "alice@crm.test" not in emails(EmailAccount.objects.visible_to(bob))
    assert "alice@crm.test" not in emails(EmailAccount.objects.sendable_by(bob))
    assert "alice@crm.test" not in emails(EmailAccount.objects.readable_by(bob))


def test_visible_to_owner_and_grantees(alice, accounts):
    assert emails(EmailAccount.objects.visible_to(alice)) == [
        "alice@crm.test", "full@crm.test", "read@crm.test", "send@crm.test",
    ]  # fmt: skip


def test_sendable_by_full_and_send_grants(alice, accounts):
    assert emails(EmailAccount.objects.sendable_by(alice)) == [
        "alice@crm.test",
        "full@crm.test",
        "send@crm.test",
    ]


def test_readable_by_full_and_read_grants(alice, accounts):
    assert emails(EmailAccount.objects.readable_by(alice)) == [
        "alice@crm.test",
        "full@crm.test",
        "read@crm.test",
    ]


def test_editable_by_owner_only_and_superusers_everything(alice, root, accounts):
    assert emails(EmailAccount.objects.editable_by(alice)) == ["alice@crm.test"]
    assert EmailAccount.objects.editable_by(root).count() == 6


def test_company_manager_sees_all_but_edits_none(erin, accounts):
    assert EmailAccount.objects.visible_to(erin).count() == 6
    assert EmailAccount.objects.editable_by(erin).count() == 0
    assert EmailAccount.objects.sendable_by(erin).count() == 0


def test_no_duplicates_when_user_owns_and_is_granted(alice, accounts):
    personal = accounts[0]
    AccountGrant.objects.create(account=personal, user=alice, access="full")
    assert emails(EmailAccount.objects.visible_to(alice)).count("alice@crm.test") == 1
    assert emails(EmailAccount.objects.sendable_by(alice)).count("alice@crm.test") == 1


def test_department_head_sees_the_departments_accounts_but_edits_only_own(dana, carol, accounts):
    EmailAccount.objects.create(owner=carol, email="carol@crm.test")  # West
    EmailAccount.objects.create(owner=dana, email="dana@crm.test")
    assert emails(EmailAccount.objects.visible_to(dana)) == [
        "alice@crm.test",
        "bob@crm.test",
        "dana@crm.test",
    ]
    assert emails(EmailAccount.objects.editable_by(dana)) == ["dana@crm.test"]
    assert emails(EmailAccount.objects.sendable_by(dana)) == ["dana@crm.test"]


def test_one_sending_rule_for_a_user_their_id_a_list_and_a_subquery(alice, bob, accounts):
    by_user = emails(EmailAccount.objects.sendable_by(alice))
    assert emails(EmailAccount.objects.sendable_by(alice.pk)) == by_user
    assert emails(EmailAccount.objects.sendable_by([alice.pk])) == by_user
    both = emails(EmailAccount.objects.sendable_by([alice.pk, bob.pk]))
    assert both == sorted([*by_user, "bob@crm.test"])
    senders = User.objects.filter(
        Exists(EmailAccount.objects.sendable_by(OuterRef("pk")).filter(email="send@crm.test"))
    )
    assert list(senders) == [alice]
    # A shared account has no owner: nobody anonymous sends through it.
    assert not EmailAccount.objects.sendable_by(AnonymousUser()).exists()


def test_the_default_account_is_the_own_default_then_own_then_shared(alice, accounts):
    personal, _, full, _, _ = accounts
    assert EmailAccount.objects.default_for(alice) == personal
    second = EmailAccount.objects.create(owner=alice, email="alice2@crm.test", is_default=True)
    assert EmailAccount.objects.default_for(alice) == second
    EmailAccount.objects.filter(owner=alice).update(needs_reconnect=True)
    assert EmailAccount.objects.default_for(alice) == full  # one that can send now
