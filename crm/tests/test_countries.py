"""Issue 15, point 7: a record's country is chosen from the ISO 3166 list (stored by its English
name); a country typed before the list, or imported as free text, still shows and still saves."""

import pytest
from django.urls import reverse

from crm.countries import canonical_country
from crm.models import Company, Lead
from crm.tests.test_importing import run, write

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "given, stored",
    [
        ("Germany", "Germany"),
        ("germany", "Germany"),
        ("DE", "Germany"),
        ("deu", "Germany"),
        ("Deutschland", "Germany"),
        ("USA", "United States of America"),
        ("United States", "United States of America"),
        ("UK", "United Kingdom"),
        ("Turkey", "Türkiye"),  # an older ISO name
        ("Czech Republic", "Czechia"),
        ("  Atlantis ", "Atlantis"),  # no country of the list: kept as written
        ("", ""),
    ],
)
def test_codes_names_and_aliases_become_the_lists_name(given, stored):
    assert canonical_country(given) == stored


def test_the_record_form_offers_the_list_of_countries(client, alice):
    client.force_login(alice)
    html = client.get(reverse("crm:crm_company_add")).content.decode()
    select = html[html.index('<select name="country"') :]
    select = select[: select.index("</select>")]
    assert select.count("<option") > 240
    assert '<option value="Germany">Germany</option>' in select
    assert '<input type="text" name="country"' not in html


def test_a_country_typed_before_the_list_still_shows_and_saves(client, alice):
    company = Company.objects.create(full_name="Acme", owner=alice, country="Atlantis")
    client.force_login(alice)
    url = reverse("crm:crm_company_change", args=[company.pk])
    assert '<option value="Atlantis" selected>Atlantis</option>' in client.get(url).content.decode()
    form = {"full_name": "Acme Ltd", "country": "Atlantis", "massmail": "on"}
    assert client.post(url, form).status_code == 302
    company.refresh_from_db()
    assert (company.full_name, company.country) == ("Acme Ltd", "Atlantis")


def test_a_country_not_on_the_list_cannot_be_chosen_anew(client, alice):
    company = Company.objects.create(full_name="Acme", owner=alice, country="Germany")
    client.force_login(alice)
    url = reverse("crm:crm_company_change", args=[company.pk])
    response = client.post(url, {"full_name": "Acme", "country": "Narnia"})
    assert response.status_code == 200 and b"Select a valid choice" in response.content
    company.refresh_from_db()
    assert company.country == "Germany"


def test_imported_countries_take_the_lists_name_and_free_text_still_shows(client, tmp_path, alice):
    path = write(
        tmp_path,
        "First name,Last name,Email,Country\n"
        "Anna,Berg,anna@x.test,DE\n"
        "Ben,Cole,ben@x.test,deutschland\n"
        "Cleo,Dunn,cleo@x.test,USA\n"
        "Dora,Eck,dora@x.test,Atlantis\n",
    )
    job = run(alice, "leads", path)
    assert job.created == 4
    countries = dict(Lead.objects.values_list("email", "country"))
    assert countries == {
        "anna@x.test": "Germany",
        "ben@x.test": "Germany",
        "cleo@x.test": "United States of America",
        "dora@x.test": "Atlantis",
    }
    dora = Lead.objects.get(email="dora@x.test")
    client.force_login(alice)
    page = client.get(reverse("crm:crm_lead_change", args=[dora.pk])).content.decode()
    assert '<option value="Atlantis" selected>Atlantis</option>' in page


def test_the_mailing_filter_offers_the_list_too(client, alice):
    client.force_login(alice)
    html = client.get(reverse("crm:massmail_mailing_create")).content.decode()
    assert '<select name="country"' in html and '<option value="France">France</option>' in html
