import pytest
from django.core.management import call_command

from crm.models import Company, Contact, Lead, User
from crm.roles import Role, role_of

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_users_of_every_role_and_records(capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    roles = {role_of(u) for u in User.objects.all()}
    assert {Role.SALES_MANAGER, Role.DEPARTMENT_HEAD, Role.COMPANY_MANAGER} <= roles
    assert User.objects.filter(is_superuser=True).exists()
    assert Company.objects.count() >= 100 and Contact.objects.count() >= 200 and Lead.objects.count() >= 100
    assert Company.objects.filter(is_vip=True).exists()
    sales = User.objects.get(username="sales.east")
    line = next(line for line in out.splitlines() if line.strip().startswith("sales.east "))
    assert sales.check_password(line.split()[1])
    assert line.endswith("Sales managers, East"), "each user is printed with its role"
    assert any(line.strip().startswith("admin ") and "superuser" in line for line in out.splitlines())


def test_seed_demo_is_idempotent():
    call_command("seed_demo")
    counts = [m.objects.count() for m in (Company, Contact, Lead, User)]
    call_command("seed_demo")
    assert [m.objects.count() for m in (Company, Contact, Lead, User)] == counts
