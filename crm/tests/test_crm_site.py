import pytest
from django.apps import apps
from django.urls import reverse

from crm.models import Company
from crm.tests.test_roles import records_for

pytestmark = pytest.mark.django_db


def change_url(obj):
    return reverse(f"crm:crm_{obj._meta.model_name}_change", args=[obj.pk])


def test_sales_manager_lists_only_own_contacts(client, alice, carol):
    records_for(alice)
    records_for(carol)
    client.force_login(alice)
    page = client.get(reverse("crm:crm_contact_changelist")).content.decode()
    assert "c@alice.test" in page
    assert "c@carol.test" not in page


@pytest.mark.parametrize("model", ["company", "contact", "lead", "request", "deal"])
def test_url_to_another_departments_record_is_404(client, alice, carol, model):
    records_for(carol)
    hidden = apps.get_model("crm", model).objects.get()
    client.force_login(alice)
    assert client.get(change_url(hidden)).status_code == 404
    assert client.get(reverse(f"crm:crm_{model}_history", args=[hidden.pk])).status_code == 404


def test_own_record_opens(client, alice):
    company = records_for(alice)
    client.force_login(alice)
    assert client.get(change_url(company)).status_code == 200


def test_mark_and_remove_vip_action(client, alice, carol):
    mine = records_for(alice)
    theirs = records_for(carol)
    client.force_login(alice)
    url = reverse("crm:crm_company_changelist")
    client.post(url, {"action": "mark_vip", "_selected_action": [mine.pk, theirs.pk]})
    assert Company.objects.get(pk=mine.pk).is_vip
    assert not Company.objects.get(pk=theirs.pk).is_vip
    client.post(url, {"action": "remove_vip", "_selected_action": [mine.pk]})
    assert not Company.objects.get(pk=mine.pk).is_vip


def test_sales_manager_creates_a_company_owned_by_them(client, alice, east):
    client.force_login(alice)
    response = client.post(
        reverse("crm:crm_company_add"), {"full_name": "New Co", "email": "new@co.test", "massmail": "on"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    company = Company.objects.get(full_name="New Co")
    assert (company.owner, company.department) == (alice, east)


def test_department_filter_only_for_company_managers(client, alice, erin):
    records_for(alice)
    client.force_login(alice)
    assert "department__id__exact" not in client.get(reverse("crm:crm_company_changelist")).content.decode()
    client.force_login(erin)
    page = client.get(reverse("crm:crm_company_changelist")).content.decode()
    assert "department__id__exact" in page


def test_company_manager_cannot_change(client, alice, erin):
    company = records_for(alice)
    client.force_login(erin)
    response = client.post(change_url(company), {"full_name": "Renamed", "email": "x@y.test"})
    assert response.status_code == 403
    assert Company.objects.get(pk=company.pk).full_name == "alice GmbH"


def test_admin_is_for_superusers_only(client, erin, root):
    client.force_login(erin)
    assert client.get("/admin/").status_code == 302
    client.force_login(root)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/massmail/massmailsettings/", follow=True).status_code == 200


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("crm:crm_contact_changelist"))
    assert response.status_code == 302 and "/crm/login/" in response["Location"]
