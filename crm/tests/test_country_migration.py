"""Countries typed before there was a list are named as the list names them by the migrations
(crm 0009, massmail 0013): records and saved segment filters, with what names no country kept."""

import pytest

from correspondence.tests.test_migrations import latest_heads, migrate
from crm.models import Company, Contact
from massmail.models import Segment

BEFORE = [
    ("crm", "0008_mail_moves_to_correspondence"),
    ("massmail", "0012_signature_and_tracking_move_to_correspondence"),
]


@pytest.mark.django_db(transaction=True)
def test_countries_typed_before_the_list_take_its_names_and_the_rest_stay():
    try:
        apps = migrate(BEFORE)
        user = apps.get_model("crm", "User").objects.create(username="alice")
        company_model = apps.get_model("crm", "Company")
        acme = company_model.objects.create(full_name="Acme", owner=user, country="DE")
        apps.get_model("crm", "Contact").objects.create(company=acme, owner=user, country="usa")
        company_model.objects.create(full_name="Nowhere Ltd", owner=user, country="Atlantis")
        apps.get_model("massmail", "Segment").objects.create(owner=user, name="UK", filters={"country": "uk"})

        migrate(latest_heads())

        assert sorted(Company.objects.values_list("country", flat=True)) == ["Atlantis", "Germany"]
        assert Contact.objects.get().country == "United States of America"
        assert Segment.objects.get().filters == {"country": "United Kingdom"}
    finally:
        migrate(latest_heads())
