"""The named people every test module uses.

Two departments, East and West. In East: Alice and Bob (sales managers) and Dana (their
department head). In West: Carol (sales manager). Erin is a company manager, Root a superuser.
Every password is PASSWORD.
"""

import pytest
from django.contrib.auth.models import Group

from crm.models import Department, User
from crm.roles import Role

PASSWORD = "correct-horse-battery"


def log_in(page, live_server, user):
    """Log `user` in at /crm/ in the browser and wait for the site's index."""
    page.goto(f"{live_server.url}/crm/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/crm/")


def make_user(username, role=None, department=None, **extra):
    user = User.objects.create_user(
        username=username,
        email=f"{username}@crm.test",
        password=PASSWORD,
        first_name=username.capitalize(),
        is_staff=True,
        department=department,
        **extra,
    )
    if role is not None:
        user.groups.add(Group.objects.get(name=role.value))
    return user


@pytest.fixture(autouse=True)
def demo_settings_restored(settings):
    """Tests may speed up the drip (settings.DEMO_TIME_COMPRESSION); it is put back after each."""
    settings.DEMO_TIME_COMPRESSION = 1


@pytest.fixture
def east(db):
    return Department.objects.get_or_create(name="East")[0]


@pytest.fixture
def west(db):
    return Department.objects.get_or_create(name="West")[0]


@pytest.fixture
def alice(east):
    return make_user("alice", Role.SALES_MANAGER, east)


@pytest.fixture
def bob(east):
    return make_user("bob", Role.SALES_MANAGER, east)


@pytest.fixture
def carol(west):
    return make_user("carol", Role.SALES_MANAGER, west)


@pytest.fixture
def dana(east):
    return make_user("dana", Role.DEPARTMENT_HEAD, east)


@pytest.fixture
def erin(db):
    return make_user("erin", Role.COMPANY_MANAGER)


@pytest.fixture
def root(db):
    return make_user("root", is_superuser=True)
