import pytest

from crm import models as crm_models
from crm.models import Deal, Request
from crm.tickets import TICKET_LENGTH, find_tickets, subject_with_ticket

pytestmark = pytest.mark.django_db


def test_ticket_is_set_on_create_and_kept(alice):
    request = Request.objects.create(subject="Quote", owner=alice)
    assert len(request.ticket) == TICKET_LENGTH
    ticket = request.ticket
    request.subject = "Quote v2"
    request.save()
    request.refresh_from_db()
    assert request.ticket == ticket


def test_tickets_are_unique_across_many():
    tickets = {Deal.objects.create(name=f"d{i}").ticket for i in range(300)}
    assert len(tickets) == 300


def test_a_colliding_ticket_is_drawn_again(monkeypatch):
    first = Request.objects.create(subject="first")
    draws = iter([first.ticket, "zzzzzzzzzz"])
    monkeypatch.setattr(crm_models, "new_ticket", lambda: next(draws))
    second = Request.objects.create(subject="second")
    assert second.ticket == "zzzzzzzzzz"


def test_ticket_in_subject_is_found_once():
    subject = subject_with_ticket("Re: Offer", "abcdefghjk")
    assert subject == "Re: Offer [ticket:abcdefghjk]"
    assert subject_with_ticket(subject, "abcdefghjk") == subject
    assert find_tickets("Fwd: " + subject.upper()) == ["abcdefghjk"]
