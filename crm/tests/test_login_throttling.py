"""Login throttling (django-axes) on both admin sites: /crm/ for the sales team, /admin/ for superusers.

After AXES_FAILURE_LIMIT failures for one username or from one address, even the right password
is refused (429, a page that says why) until the cool-off has passed.
"""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from crm.tests.fixtures import PASSWORD

LIMIT = settings.AXES_FAILURE_LIMIT
HOME, AWAY = "203.0.113.5", "198.51.100.7"


def log_in(site, username, password, address=HOME):
    """POST the site's login form from `address`; the response and whether it logged in."""
    client = Client(REMOTE_ADDR=address)
    response = client.post(
        f"/{site}/login/", {"username": username, "password": password, "next": f"/{site}/"}
    )
    return response, "_auth_user_id" in client.session


def fail(site, username, times=LIMIT, address=HOME):
    for _ in range(times):
        response, logged_in = log_in(site, username, "wrong password", address)
        assert response.status_code in (200, 429) and not logged_in  # the last one pauses


def assert_paused(response, logged_in):
    assert not logged_in
    assert response.status_code == 429
    text = response.content.decode()
    assert "logging in is paused" in text and "even with the right password" in text


@pytest.mark.parametrize("site, user", [("crm", "alice"), ("admin", "root")])
def test_failures_for_a_username_refuse_even_the_right_password(site, user, request):
    username = request.getfixturevalue(user).username
    fail(site, username)
    assert_paused(*log_in(site, username, PASSWORD))
    assert_paused(*log_in(site, username, PASSWORD, address=AWAY)), "the username is paused everywhere"


@pytest.mark.parametrize("site, user", [("crm", "alice"), ("admin", "root")])
def test_failures_from_an_address_refuse_everyone_there(site, user, request):
    username = request.getfixturevalue(user).username
    for n in range(LIMIT):
        fail(site, f"guess-{n}", times=1)
    assert_paused(*log_in(site, username, PASSWORD))
    response, logged_in = log_in(site, username, PASSWORD, address=AWAY)
    assert response.status_code == 302 and logged_in


def test_fewer_failures_than_the_limit_still_let_the_right_password_in(alice):
    fail("crm", "alice", times=LIMIT - 1)
    response, logged_in = log_in("crm", "alice", PASSWORD)
    assert response.status_code == 302 and logged_in


def test_another_user_from_another_address_is_not_locked(alice, bob):
    fail("crm", "alice")
    response, logged_in = log_in("crm", "bob", PASSWORD, address=AWAY)
    assert response.status_code == 302 and logged_in


def test_the_lockout_ends_after_the_cool_off(alice):
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        fail("crm", "alice")
        assert_paused(*log_in("crm", "alice", PASSWORD))
        traveller.shift(settings.AXES_COOLOFF_TIME - dt.timedelta(minutes=1))
        assert_paused(*log_in("crm", "alice", PASSWORD))
        # A refused attempt starts the cool-off again; once it has passed, the password works.
        traveller.shift(settings.AXES_COOLOFF_TIME + dt.timedelta(seconds=1))
        response, logged_in = log_in("crm", "alice", PASSWORD)
        assert response.status_code == 302 and logged_in


def test_behind_a_proxy_each_client_is_counted_by_its_own_address(alice, bob, settings):
    settings.TRUSTED_PROXIES = 1
    proxy = "10.0.0.2"
    for n in range(LIMIT):  # a guesser behind the proxy, pretending to be elsewhere on the left
        client = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {HOME}")
        client.post("/crm/login/", {"username": f"guess-{n}", "password": "wrong"})
    guesser = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=f"192.0.2.99, {HOME}")
    assert guesser.post("/crm/login/", {"username": "bob", "password": PASSWORD}).status_code == 429
    colleague = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=AWAY)
    response = colleague.post("/crm/login/", {"username": "bob", "password": PASSWORD, "next": "/crm/"})
    assert response.status_code == 302 and "_auth_user_id" in colleague.session
