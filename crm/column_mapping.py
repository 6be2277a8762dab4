"""Which column of an imported file fills which field: the headers of the exports people
have (Google Contacts, Outlook, LinkedIn connections, HubSpot) and plain sheets in English,
German, French and Spanish are recognised without help.

A mapping is a dict {header: field}; a header mapped to "" is ignored.
"""

import unicodedata

# The fields an import can fill, per record kind, with their labels for the mapping form.
COMMON_FIELDS = {
    "email": "Email",
    "phone": "Phone",
    "country": "Country",
    "city": "City",
    "owner": "Owner (username or email)",
    "department": "Department",
    "tags": "Tags",
    "is_vip": "VIP",
    "massmail": "Accepts newsletters",
    "description": "Notes",
}
FIELDS = {
    "companies": {
        "full_name": "Name",
        **COMMON_FIELDS,
        "website": "Website",
        "address": "Address",
        "industry": "Industry",
    },
    "contacts": {
        "name": "Full name",
        "first_name": "First name",
        "last_name": "Last name",
        "company": "Company",
        "title": "Job title",
        **COMMON_FIELDS,
    },
    "leads": {
        "name": "Full name",
        "first_name": "First name",
        "last_name": "Last name",
        "company_name": "Company",
        "industry": "Industry",
        "source": "Source",
        **COMMON_FIELDS,
    },
}

# Known headers, normalised by `header_key`, per logical field. "company" and "name" mean
# different fields per kind (see `_for_kind`). The formats each group comes from:
#   Google Contacts CSV (2023-: "First Name", "E-mail 1 - Value", "Organization Name",
#     "Labels"; older: "Given Name", "Family Name", "Organization 1 - Name", "Group Membership"),
#   Outlook CSV ("E-mail Address", "Business Phone", "Job Title", "Business Country/Region",
#     "Categories"), LinkedIn connections ("Email Address", "Position", "URL"),
#   HubSpot contacts and companies ("Email", "Phone Number", "Company name",
#     "Company Domain Name", "Contact owner", "Country/Region"),
#   and plain sheets in English, German, French and Spanish.
ALIASES = {
    "email": [
        "email",
        "e-mail",
        "email address",
        "e-mail address",
        "e-mail 1 - value",
        "email 1 - value",
        "primary email",
        "work email",
        "business email",
        "e-mail adresse",
        "e-mail-adresse",
        "emailadresse",
        "mail",
        "courriel",
        "adresse e-mail",
        "adresse email",
        "adresse électronique",
        "correo",
        "correo electrónico",
        "correo electronico",
        "email de contacto",
    ],
    "phone": [
        "phone",
        "phone number",
        "telephone",
        "phone 1 - value",
        "business phone",
        "mobile phone",
        "primary phone",
        "mobile",
        "mobile phone number",
        "telefon",
        "telefonnummer",
        "handy",
        "mobil",
        "téléphone",
        "numéro de téléphone",
        "portable",
        "teléfono",
        "telefono",
        "móvil",
        "celular",
    ],
    "first_name": [
        "first name",
        "firstname",
        "given name",
        "first",
        "vorname",
        "prénom",
        "prenom",
        "nombre de pila",
    ],
    "last_name": [
        "last name",
        "lastname",
        "surname",
        "family name",
        "last",
        "nachname",
        "familienname",
        "nom de famille",
        "apellido",
        "apellidos",
        "apellido(s)",
    ],
    "name": [
        "name",
        "full name",
        "contact name",
        "display name",
        "nom",
        "nom complet",
        "nombre",
        "nombre completo",
        "vollständiger name",
    ],
    "company": [
        "company",
        "company name",
        "organization",
        "organisation",
        "organization name",
        "organization 1 - name",
        "account name",
        "firma",
        "unternehmen",
        "firmenname",
        "société",
        "societe",
        "entreprise",
        "empresa",
        "compañía",
        "compania",
        "organización",
    ],
    "title": [
        "job title",
        "title",
        "position",
        "organization title",
        "organization 1 - title",
        "role",
        "funktion",
        "berufsbezeichnung",
        "poste",
        "fonction",
        "titre",
        "cargo",
        "puesto",
    ],
    "country": [
        "country",
        "country/region",
        "business country/region",
        "address 1 - country",
        "land",
        "pays",
        "país",
        "pais",
    ],
    "city": ["city", "business city", "address 1 - city", "stadt", "ort", "ville", "ciudad"],
    "website": [
        "website",
        "web page",
        "web site",
        "url",
        "company domain name",
        "domain",
        "webseite",
        "site web",
        "sitio web",
        "página web",
    ],
    "address": [
        "address",
        "street",
        "business street",
        "street address",
        "address 1 - street",
        "adresse",
        "straße",
        "strasse",
        "rue",
        "dirección",
        "direccion",
        "calle",
    ],
    "industry": ["industry", "branche", "secteur", "industrie", "sector", "industria"],
    "owner": [
        "owner",
        "contact owner",
        "company owner",
        "lead owner",
        "record owner",
        "besitzer",
        "propriétaire",
    ],
    "department": ["department", "abteilung", "département", "departamento", "team"],
    "tags": [
        "tags",
        "tag",
        "labels",
        "categories",
        "group membership",
        "groups",
        "schlagwörter",
        "étiquettes",
        "catégories",
        "etiquetas",
        "categorías",
    ],
    "is_vip": ["vip", "is vip"],
    "massmail": [
        "accepts newsletters",
        "newsletter",
        "newsletters",
        "subscribed",
        "marketing emails",
        "email opt in",
        "opt-in",
        "opt in",
        "abonniert",
        "abonné",
        "suscrito",
    ],
    "description": [
        "notes",
        "note",
        "description",
        "comments",
        "notizen",
        "bemerkungen",
        "commentaires",
        "notas",
    ],
    "source": ["source", "lead source", "original source", "quelle", "origine", "origen", "fuente"],
}


def header_key(header):
    """A header as compared: lower case, accents and everything but letters and digits gone."""
    decomposed = unicodedata.normalize("NFKD", header.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))


# header key -> (logical field, rank): the lower the rank, the surer the name (Outlook's
# "Job Title" beats its "Title", which is Mr. or Ms.).
_KNOWN = {}
for _field, _aliases in ALIASES.items():
    for _rank, _alias in enumerate(_aliases):
        _KNOWN.setdefault(header_key(_alias), (_field, _rank))


def _for_kind(field, kind):
    if field == "company":
        return {"companies": "full_name", "contacts": "company", "leads": "company_name"}[kind]
    if field == "name" and kind == "companies":
        return "full_name"
    return field if field in FIELDS[kind] else None


def known_field(header, kind):
    field, _rank = _KNOWN.get(header_key(header), (None, 0))
    return _for_kind(field, kind) if field else None


def is_header_row(kind, remembered=None):
    """For `tables.open_table`: a row is the header when two of its cells name fields (known
    names, or headers the user mapped before), or it is a lone "Email" over a list of addresses.
    LinkedIn's "Notes:" line before its header is neither."""
    remembered_keys = {header_key(h) for h in remembered or {}}

    def check(cells):
        named = [c for c in cells if c]
        fields = [known_field(c, kind) or header_key(c) in remembered_keys for c in named]
        return sum(map(bool, fields)) >= 2 or fields == ["email"]

    return check


def detect_mapping(headers, kind, remembered=None):
    """{header: field} for `headers`: the user's remembered choices first, then known names.

    Each field is filled from one column: the surest name for it, then the first column
    (Google's "E-mail 1 - Value" wins over "E-mail 2 - Value"). A lone "Name" beside a first or last name is the other half
    (French "Prénom" + "Nom", Spanish "Nombre" + "Apellidos").
    """
    remembered = {header_key(h): f for h, f in (remembered or {}).items()}
    best = {}  # field -> (rank, column index, header)
    for index, header in enumerate(headers):
        key = header_key(header)
        if key in remembered:
            field, rank = remembered[key], -1
        else:
            field, rank = _KNOWN.get(key, (None, 0))
            field = field and _for_kind(field, kind)
        if field in FIELDS[kind] and (rank, index) < best.get(field, (rank + 1, index))[:2]:
            best[field] = (rank, index, header)
    chosen = {header: field for field, (_r, _i, header) in best.items()}
    mapping = {header: chosen.get(header, "") for header in headers}
    taken = set(chosen.values())
    if "name" in taken and len(taken & {"first_name", "last_name"}) == 1:
        other = "last_name" if "first_name" in taken else "first_name"
        mapping = {h: (other if f == "name" else f) for h, f in mapping.items()}
    return mapping


def with_given(detected, given):
    """The detected mapping with the person's choices laid over it: a field they gave a
    column for is taken from no other column."""
    given_fields = {f for f in given.values() if f}
    merged = {h: ("" if f in given_fields else f) for h, f in detected.items()}
    return {**merged, **given}


def clean_mapping(mapping, headers, kind):
    """A mapping sent by a person (form or --mapping): known headers, known fields, each
    field once. Raises ValueError naming what is wrong."""
    unknown = set(mapping) - set(headers)
    if unknown:
        raise ValueError(f"No such column in the file: {', '.join(sorted(unknown))}.")
    fields = [f for f in mapping.values() if f]
    bad = [f for f in fields if f not in FIELDS[kind]]
    if bad:
        raise ValueError(f"Unknown field for {kind}: {', '.join(bad)}.")
    twice = {f for f in fields if fields.count(f) > 1}
    if twice:
        raise ValueError(f"Each field can come from one column only: {', '.join(sorted(twice))}.")
    return {h: mapping.get(h, "") for h in headers}
