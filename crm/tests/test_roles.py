import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from crm.models import Company, Contact, Deal, Lead, Request
from crm.roles import ROLE_PERMISSIONS, Role

pytestmark = pytest.mark.django_db


def records_for(owner, n=2):
    company = Company.objects.create(
        full_name=f"{owner.username} GmbH", email=f"info@{owner.username}.test", owner=owner
    )
    Contact.objects.create(
        first_name="C",
        last_name=owner.username,
        email=f"c@{owner.username}.test",
        company=company,
        owner=owner,
    )
    Lead.objects.create(
        first_name="L", last_name=owner.username, email=f"l@{owner.username}.test", owner=owner
    )
    Request.objects.create(subject=f"Request of {owner.username}", owner=owner)
    Deal.objects.create(name=f"Deal of {owner.username}", owner=owner)
    return company


MODELS = [Company, Contact, Lead, Request, Deal]


def owners_seen(model, user):
    return set(model.objects.visible_to(user).values_list("owner__username", flat=True))


def test_groups_exist_with_their_permissions_after_migrate():
    for role, grants in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role.value)
        expected = sum(len(actions) for actions in grants.values())
        assert group.permissions.count() == expected


def test_groups_are_restored_by_the_next_migrate():
    Group.objects.get(name=Role.SALES_MANAGER.value).permissions.clear()
    call_command("migrate", verbosity=0)
    assert (
        Group.objects.get(name=Role.SALES_MANAGER.value).permissions.filter(codename="view_contact").exists()
    )


def test_records_take_the_department_of_their_owner(alice, east):
    assert records_for(alice).department == east


@pytest.mark.parametrize("model", MODELS)
def test_sales_manager_sees_only_own_records(model, alice, bob, carol):
    for user in (alice, bob, carol):
        records_for(user)
    assert owners_seen(model, alice) == {"alice"}


@pytest.mark.parametrize("model", MODELS)
def test_department_head_sees_the_department(model, alice, bob, carol, dana):
    for user in (alice, bob, carol):
        records_for(user)
    assert owners_seen(model, dana) == {"alice", "bob"}


@pytest.mark.parametrize("model", MODELS)
def test_company_manager_and_superuser_see_everything(model, alice, carol, erin, root):
    for user in (alice, carol):
        records_for(user)
    assert owners_seen(model, erin) == {"alice", "carol"}
    assert owners_seen(model, root) == {"alice", "carol"}


def test_user_without_a_role_sees_nothing(alice, django_user_model):
    records_for(alice)
    nobody = django_user_model.objects.create_user("nobody", password="x", is_staff=True)
    assert not Company.objects.visible_to(nobody).exists()


def test_company_manager_reads_but_cannot_edit(alice, erin):
    records_for(alice)
    assert Company.objects.visible_to(erin).count() == 1
    assert Company.objects.editable_by(erin).count() == 0
