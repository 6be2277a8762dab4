"""Issue 12, "stored mail written through a raw form": no raw form for stored mail, compose
sends only as the user through their accounts, and every /crm/ choice list is scoped."""

import datetime as dt

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from correspondence.compose import send_scheduled_emails
from correspondence.models import CrmEmail, EmailTemplate, Signature
from correspondence.tests.mail_fixtures import account_on
from crm.models import Company, Deal, Department, Request, Tag
from crm.site import crm_site
from crm.tests.test_roles import records_for
from massmail.models import Mailing, MailingRecipient, Message

pytestmark = pytest.mark.django_db


def world_of(owner, sink=None):
    """One of everything a user owns: records, a mailbox, mail, authoring, a mailing."""
    company = records_for(owner)
    account = account_on(sink, owner)
    signature = Signature.objects.create(owner=owner, name=f"sig {owner.username}", body="<p>Bye</p>")
    message = Message.objects.create(
        owner=owner, subject="News", body="{{ unsubscribe_url }}", signature=signature
    )
    mailing = Mailing.objects.create(owner=owner, message=message, recipient_type="companies")
    MailingRecipient.objects.create(mailing=mailing, company=company, email=company.email)
    EmailTemplate.objects.create(owner=owner, name=f"tpl {owner.username}")
    CrmEmail.objects.create(account=account, owner=owner, company=company, subject=f"mail {owner.username}")
    Tag.objects.get_or_create(name="shared tag")
    return account


# --- no raw form for stored mail -------------------------------------------------------------------


def test_crm_site_has_no_add_or_change_form_for_stored_mail(client, alice, bob, dana, erin):
    bobs = world_of(bob)
    stored = CrmEmail.objects.get()
    before = CrmEmail.objects.count()
    for user in (alice, dana, erin):
        client.force_login(user)
        assert client.get("/crm/correspondence/crmemail/add/").status_code == 404
        assert client.get(f"/crm/correspondence/crmemail/{stored.pk}/change/").status_code == 404
        response = client.post(
            "/crm/correspondence/crmemail/add/",
            {
                "account": bobs.pk,
                "owner": user.pk,
                "status": "scheduled",
                "scheduled_at_0": "2020-01-01",
                "scheduled_at_1": "00:00",
                "recipients": "victim@example.com",
                "html": "<p>hi</p>",
            },
        )
        assert response.status_code == 404
    assert CrmEmail.objects.count() == before
    assert crm_site.is_registered(CrmEmail) is False


def test_superusers_admin_shows_stored_mail_read_only(client, root, bob):
    world_of(bob)
    stored = CrmEmail.objects.get()
    client.force_login(root)
    assert client.get(reverse("admin:correspondence_crmemail_changelist")).status_code == 200
    assert client.get(reverse("admin:correspondence_crmemail_add")).status_code == 403
    page = client.get(reverse("admin:correspondence_crmemail_change", args=[stored.pk]))
    assert page.status_code == 200 and b'name="subject"' not in page.content
    client.post(reverse("admin:correspondence_crmemail_change", args=[stored.pk]), {"subject": "changed"})
    stored.refresh_from_db()
    assert stored.subject == "mail bob"


def test_sales_managers_lose_the_add_permission_on_stored_mail(alice, dana):
    call_command("migrate", verbosity=0)  # the post_migrate handler re-syncs the groups
    assert not alice.has_perm("correspondence.add_crmemail") and not dana.has_perm(
        "correspondence.add_crmemail"
    )
    assert alice.has_perm("correspondence.view_crmemail")


# --- compose: only the user's accounts, as that user ------------------------------------------------


def test_compose_post_with_another_users_account_owner_status_sends_nothing(client, alice, bob, smtp_sink):
    bobs = account_on(smtp_sink, bob)
    alices = account_on(smtp_sink, alice)
    client.force_login(alice)
    response = client.post(
        reverse("mail:compose"),
        {
            "account": bobs.pk,
            "to": "victim@example.com",
            "subject": "Hi",
            "body": "<p>x</p>",
            "owner": bob.pk,
            "status": "sent",
            "action": "send",
        },
    )
    assert response.status_code == 200 and b"Select a valid choice" in response.content
    assert smtp_sink.messages == [] and not CrmEmail.objects.exists()
    past = "2020-01-01T00:00"
    client.post(
        reverse("mail:compose"),
        {"account": alices.pk, "to": "jane@acme.test", "subject": "Hi", "body": "<p>x</p>",
         "owner": bob.pk, "status": "scheduled", "scheduled_at": past, "action": "draft"},
    )  # fmt: skip
    draft = CrmEmail.objects.get()
    assert (draft.owner, draft.account, draft.status, draft.scheduled_at) == (alice, alices, "draft", None)
    assert send_scheduled_emails() == 0 and smtp_sink.messages == []


@pytest.mark.parametrize("owner", ["alice", None])
def test_scheduled_mail_goes_out_only_through_an_account_its_owner_may_send_from(
    request, alice, bob, smtp_sink, owner
):
    """The attack of the issue: a scheduled row naming another user's mailbox (as the raw form
    could write it, with an owner or with none) is refused when its time comes."""
    bobs = account_on(smtp_sink, bob)
    email = CrmEmail.objects.create(
        direction="out",
        account=bobs,
        owner=request.getfixturevalue(owner) if owner else None,
        status="scheduled",
        scheduled_at=timezone.now() - dt.timedelta(hours=1),
        recipients="victim@example.com",
        subject="as bob",
        html="<p>x</p>",
    )
    assert send_scheduled_emails() == 0
    assert smtp_sink.messages == []
    email.refresh_from_db()
    assert email.status == "draft" and "may not send" in email.last_error


# --- every choice list of /crm/ is scoped -------------------------------------------------------------


def may_see(model, user):
    """The rows of `model` that `user` may see, stated from the role table (ARCHITECTURE.md)."""
    if model is get_user_model():
        return (
            model.objects.filter(department=user.department) if user.department_id else model.objects.none()
        )
    if model is Department:
        return model.objects.filter(pk=user.department_id)
    if model is Tag:
        return model.objects.all()  # a vocabulary every user shares
    assert hasattr(model.objects, "visible_to"), f"no scope rule for choices of {model.__name__}"
    return model.objects.visible_to(user)


def choice_fields(form):
    pk_name = form._meta.model._meta.pk.name  # a formset's own rows, named by its instance
    for name, field in form.fields.items():
        if isinstance(field, forms.ModelChoiceField) and name != pk_name:  # ModelMultipleChoiceField included
            yield name, field


def forms_of(model_admin, request):
    """(where, form) for the add form and a change form of one row the user may change."""
    if model_admin.has_add_permission(request):
        form = model_admin.get_form(request, None)()
        yield "add", form
        for formset, _ in model_admin.get_formsets_with_inlines(request, None):
            yield "add inline", formset(instance=model_admin.model()).empty_form
    obj = model_admin.get_queryset(request).first()
    if obj is not None and model_admin.has_change_permission(request, obj):
        yield "change", model_admin.get_form(request, obj, change=True)(instance=obj)
        for formset, _ in model_admin.get_formsets_with_inlines(request, obj):
            yield "change inline", formset(instance=obj).empty_form


@pytest.mark.parametrize("viewer", ["carol", "dana"])
def test_every_choice_list_of_every_crm_form_offers_only_what_the_user_may_see(
    request, alice, bob, carol, dana, erin, viewer
):
    for owner in (alice, bob, carol, dana, erin):
        world_of(owner)
    user = request.getfixturevalue(viewer)
    http = RequestFactory().get("/crm/")
    http.user = user
    leaks, checked = [], 0
    for model, model_admin in crm_site._registry.items():
        for where, form in forms_of(model_admin, http):
            for name, field in choice_fields(form):
                checked += 1
                offered = field.queryset
                hidden = offered.exclude(pk__in=may_see(offered.model, user).values("pk"))
                if hidden.exists():
                    leaks.append(f"{model.__name__} {where} form, {name}: {sorted(map(str, hidden))}")
    assert checked >= 10, "the walk found too few choice lists to mean anything"
    assert leaks == []


def test_autocomplete_returns_only_what_the_user_may_see(client, alice, carol):
    records_for(alice)
    records_for(carol)
    client.force_login(carol)
    for source, field in (("contact", "company"), ("request", "company"), ("request", "contact"),
                          ("deal", "company")):  # fmt: skip
        response = client.get(
            reverse("crm:autocomplete"),
            {"app_label": "crm", "model_name": source, "field_name": field, "term": ""},
        )
        assert response.status_code == 200
        names = [row["text"] for row in response.json()["results"]]
        assert names and all("alice" not in name for name in names), (source, field, names)


def test_a_posted_hidden_choice_is_refused(client, alice, carol):
    alices = records_for(alice)
    records_for(carol)
    client.force_login(carol)
    response = client.post(reverse("crm:crm_request_add"), {"subject": "mine", "company": alices.pk})
    assert response.status_code == 200 and b"Select a valid choice" in response.content
    assert not Request.objects.filter(subject="mine").exists()
    assert Deal.objects.filter(owner=carol).count() == 1 and Company.objects.filter(owner=carol).count() == 1
