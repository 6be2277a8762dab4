"""Demo data: departments, one user per role, a few hundred companies, contacts and leads.

Deterministic (a seeded random generator) and idempotent: records are keyed by their email
address, so a second run adds nothing.
"""

import random
import secrets
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import transaction

from crm.models import Company, Contact, Department, Industry, Lead, Tag, User
from crm.roles import Role

FIRST = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Eva",
    "Felix",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Karla",
    "Leon",
    "Mia",
    "Noah",
    "Olga",
    "Paul",
    "Rosa",
    "Sven",
    "Tara",
    "Uwe",
]
LAST = [
    "Adler",
    "Bauer",
    "Conti",
    "Dietz",
    "Evers",
    "Fuchs",
    "Graf",
    "Hahn",
    "Ilic",
    "Jung",
    "Kraus",
    "Lang",
    "Marx",
    "Nagel",
    "Ott",
    "Peters",
    "Roth",
    "Sauer",
    "Thiel",
    "Vogt",
]
WORDS = [
    "Alpine",
    "Blue",
    "Copper",
    "Delta",
    "Echo",
    "Falcon",
    "Granite",
    "Harbor",
    "Iris",
    "Juniper",
    "Kite",
    "Lumen",
    "Maple",
    "North",
    "Orbit",
    "Pine",
]
SUFFIX = ["Systems", "Logistics", "Foods", "Labs", "Works", "Partners", "Trading", "Media"]
COUNTRIES = ["Germany", "France", "Spain", "Italy", "Poland", "Netherlands", "Austria", "Sweden"]
TAGS = ["newsletter", "partner", "trade-fair", "webinar", "priority"]


@dataclass
class DemoUser:
    username: str
    role: Role | None
    department: str | None
    superuser: bool = False


DEMO_USERS = [
    DemoUser("admin", None, None, superuser=True),
    DemoUser("manager", Role.COMPANY_MANAGER, None),
    DemoUser("head.east", Role.DEPARTMENT_HEAD, "East"),
    DemoUser("sales.east", Role.SALES_MANAGER, "East"),
    DemoUser("sales.east2", Role.SALES_MANAGER, "East"),
    DemoUser("sales.west", Role.SALES_MANAGER, "West"),
]


def seed_users():
    """Create or update the demo users; give each a fresh password. Returns {username: password}."""
    passwords = {}
    for spec in DEMO_USERS:
        department = Department.objects.get_or_create(name=spec.department)[0] if spec.department else None
        user, _ = User.objects.get_or_create(username=spec.username)
        first, _, last = spec.username.partition(".")
        user.first_name, user.last_name = first.capitalize(), last.capitalize()
        user.email = f"{spec.username}@demo.crm.test"
        user.is_staff = True
        user.is_superuser = spec.superuser
        user.department = department
        password = secrets.token_urlsafe(9)
        user.set_password(password)
        user.save()
        if spec.role:
            user.groups.set([Group.objects.get(name=spec.role.value)])
        passwords[spec.username] = password
    return passwords


@transaction.atomic
def seed_records(companies=150, contacts_per_company=2, leads=200):
    """Create what is missing of the demo records. Returns counts of rows created."""
    rng = random.Random(42)
    owners = list(User.objects.filter(groups__name=Role.SALES_MANAGER.value).order_by("username"))
    tags = [Tag.objects.get_or_create(name=name)[0] for name in TAGS]
    industries = [value for value, _ in Industry.choices]

    existing = set(Company.objects.filter(email__endswith=".demo").values_list("email", flat=True))
    new_companies = []
    for i in range(companies):
        name = f"{rng.choice(WORDS)} {rng.choice(SUFFIX)} {i + 1}"
        email = f"info@company{i + 1}.demo"
        owner = rng.choice(owners)
        company = Company(
            full_name=name,
            email=email,
            country=rng.choice(COUNTRIES),
            city="",
            industry=rng.choice(industries),
            owner=owner,
            department_id=owner.department_id,
            is_vip=rng.random() < 0.1,
            massmail=rng.random() > 0.05,
            website=f"https://company{i + 1}.demo",
        )
        if email not in existing:
            new_companies.append(company)
    Company.objects.bulk_create(new_companies)
    by_email = {c.email: c for c in Company.objects.filter(email__endswith=".demo")}

    existing = set(Contact.objects.filter(email__endswith=".demo").values_list("email", flat=True))
    new_contacts = []
    for i in range(companies):
        company = by_email[f"info@company{i + 1}.demo"]
        for j in range(contacts_per_company):
            # Draw every random value before deciding to skip, so a rerun draws the same.
            first, last = rng.choice(FIRST), rng.choice(LAST)
            is_vip, massmail = rng.random() < 0.1, rng.random() > 0.05
            email = f"{first.lower()}.{last.lower()}.{j}@company{i + 1}.demo"
            if email in existing:
                continue
            existing.add(email)
            new_contacts.append(
                Contact(
                    first_name=first,
                    last_name=last,
                    email=email,
                    company=company,
                    country=company.country,
                    owner_id=company.owner_id,
                    department_id=company.department_id,
                    is_vip=is_vip,
                    massmail=massmail,
                )
            )
    Contact.objects.bulk_create(new_contacts)

    existing = set(Lead.objects.filter(email__endswith=".demo").values_list("email", flat=True))
    new_leads = []
    for i in range(leads):
        lead = Lead(
            first_name=rng.choice(FIRST),
            last_name=rng.choice(LAST),
            email=f"lead{i + 1}@prospect.demo",
            company_name=f"{rng.choice(WORDS)} {rng.choice(SUFFIX)}",
            country=rng.choice(COUNTRIES),
            industry=rng.choice(industries),
            owner=rng.choice(owners),
            is_vip=rng.random() < 0.1,
            massmail=rng.random() > 0.05,
        )
        lead.department_id = lead.owner.department_id
        if lead.email not in existing:
            new_leads.append(lead)
    Lead.objects.bulk_create(new_leads)

    for model in (Company, Contact, Lead):
        through = model.tags.through
        fk = f"{model._meta.model_name}_id"
        untagged = model.objects.filter(email__endswith=".demo", tags__isnull=True).values_list(
            "pk", flat=True
        )
        through.objects.bulk_create(
            [through(**{fk: pk, "tag_id": tags[pk % len(tags)].pk}) for pk in untagged], ignore_conflicts=True
        )
    return {"companies": len(new_companies), "contacts": len(new_contacts), "leads": len(new_leads)}
