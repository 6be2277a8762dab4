"""Which Request, Deal, Contact, Company or Lead a message belongs to.

A message is *ticketed* when it answers something we sent (its In-Reply-To/References
name a mailing recipient's Message-ID, or a stored message tied to a Request/Deal or sent by
us) or when its subject or body carries `[ticket:TOKEN]` of an existing Request or Deal.
Records are then found by the other party's address, by their company's domain (never a
free-mail domain: gmail.com says nothing about a company), and by name when exactly one
record has it.

Unknown senders (with the account's `create_unknown_contacts`): a Contact is created under
the Company that owns the sender's domain; when no Company does, one is made from the
domain (name and website = the domain). Free-mail senders go under one placeholder Company
per owner, "Private persons", because a Contact must have a Company.
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Q
from django.db.models.functions import Lower

from correspondence.models import CrmEmail
from crm.models import Company, Contact, Deal, Lead, Request
from crm.tickets import find_tickets
from mailaccounts.mail_parsing import ParsedMessage

FREE_MAIL_DOMAINS = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.de",
        "yahoo.fr",
        "ymail.com",
        "hotmail.com",
        "hotmail.co.uk",
        "hotmail.de",
        "hotmail.fr",
        "outlook.com",
        "outlook.de",
        "live.com",
        "live.de",
        "msn.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "gmx.de",
        "gmx.net",
        "gmx.com",
        "web.de",
        "t-online.de",
        "freenet.de",
        "mail.com",
        "protonmail.com",
        "proton.me",
        "pm.me",
        "zoho.com",
        "yandex.ru",
        "yandex.com",
        "mail.ru",
        "inbox.ru",
        "list.ru",
        "bk.ru",
        "rambler.ru",
        "qq.com",
        "163.com",
        "126.com",
        "orange.fr",
        "free.fr",
        "laposte.net",
        "libero.it",
    ]
)
PLACEHOLDER_COMPANY = "Private persons"


@dataclass
class Links:
    request: Request | None = None
    deal: Deal | None = None
    contact: Contact | None = None
    company: Company | None = None
    lead: Lead | None = None
    answers_ours: bool = False  # In-Reply-To/References name a message we sent

    @property
    def ticketed(self) -> bool:
        return self.answers_ours or self.request is not None or self.deal is not None

    @property
    def any(self) -> bool:
        return any((self.request, self.deal, self.contact, self.company, self.lead))


def exclude_patterns(account) -> list[str]:
    raw = (account.exclude_patterns or "").replace(",", "\n")
    return [line.strip().lower() for line in raw.splitlines() if line.strip()]


def is_excluded(address: str, patterns: list[str]) -> bool:
    address = (address or "").lower()
    return any(fnmatch.fnmatchcase(address, pattern) for pattern in patterns)


# Mail we sent that is not stored here (massmail's recipient rows) is found through lookups
# that the sending app registers in its AppConfig.ready(): `lookup(ids)` gives
# {message_id: row}, each row with `contact`, `company` and `lead` (contact's company loaded).
_sent_mail_lookups = []


def register_sent_mail_lookup(lookup):
    if lookup not in _sent_mail_lookups:
        _sent_mail_lookups.append(lookup)


def sent_elsewhere(ids) -> dict:
    found = {}
    for lookup in _sent_mail_lookups:
        for message_id, row in lookup(ids).items():
            found.setdefault(message_id, row)
    return found


def our_message_ids(ids) -> set[str]:
    """The subset of `ids` that name a message we sent or a stored message tied to a record."""
    ids = list(ids)
    if not ids:
        return set()
    found = set(sent_elsewhere(ids))
    found |= set(
        CrmEmail.objects.filter(message_id__in=ids)
        .filter(Q(direction=CrmEmail.Direction.OUTGOING) | Q(request__isnull=False) | Q(deal__isnull=False))
        .values_list("message_id", flat=True)
    )
    return found


def has_ticket(text: str) -> bool:
    return bool(find_tickets(text))


class Parties:
    """The Contacts, Leads and Companies of a batch's addresses and domains, in four queries."""

    def __init__(self, addresses):
        addresses = {a.lower() for a in addresses if a and "@" in a}
        domains = {a.rpartition("@")[2] for a in addresses} - FREE_MAIL_DOMAINS
        self.contacts, self.leads = defaultdict(list), defaultdict(list)
        self.companies, self.by_domain = defaultdict(list), defaultdict(list)
        if addresses:
            by_address = {"lower_email__in": addresses}
            for contact in (
                Contact.objects.annotate(lower_email=Lower("email"))
                .filter(**by_address)
                .select_related("company")
            ):
                self.contacts[contact.lower_email].append(contact)
            for lead in Lead.objects.annotate(lower_email=Lower("email")).filter(**by_address):
                self.leads[lead.lower_email].append(lead)
            for company in Company.objects.annotate(lower_email=Lower("email")).filter(**by_address):
                self.companies[company.lower_email].append(company)
        if domains:
            same_domain = reduce(or_, (Q(email__iendswith="@" + d) for d in domains))
            for company in Company.objects.filter(same_domain):
                self.by_domain[company.domain].append(company)


class ThreadIndex:
    """The records a batch of messages may name, loaded in a few queries for the whole batch.

    Without it every message costs several lookups (tickets, mailing recipients, earlier
    messages, duplicates); a sync passes one index per fetched batch."""

    def __init__(self, parsed_messages, account=None):
        tickets = {t for p in parsed_messages for t in message_tickets(p)}
        refs = {ref for p in parsed_messages for ref in p.referenced_ids}
        self.requests = {r.ticket: r for r in Request.objects.filter(ticket__in=tickets)} if tickets else {}
        self.deals = {d.ticket: d for d in Deal.objects.filter(ticket__in=tickets)} if tickets else {}
        self.recipients, self.earlier, self.stored_ids = {}, {}, set()
        if refs:
            self.recipients = sent_elsewhere(refs)
            for email in (
                CrmEmail.objects.filter(message_id__in=refs)
                .filter(
                    Q(direction=CrmEmail.Direction.OUTGOING)
                    | Q(request__isnull=False)
                    | Q(deal__isnull=False)
                )
                .select_related("request", "deal")
                .order_by("-date", "-id")
            ):
                self.earlier.setdefault(email.message_id, email)
        self.parties = None
        if account is not None:
            self.parties = Parties(
                a for p in parsed_messages for _, a in [(p.sender_name, p.sender), *p.to, *p.cc]
            )
            ids = [p.message_id for p in parsed_messages if p.message_id]
            self.stored_ids = set(
                CrmEmail.objects.filter(account=account, message_id__in=ids).values_list(
                    "message_id", flat=True
                )
            )

    def remember(self, email) -> None:
        """A message stored from this batch: later ones may answer it or repeat it."""
        self.stored_ids.add(email.message_id)
        if email.request_id or email.deal_id or email.direction == CrmEmail.Direction.OUTGOING:
            self.earlier.setdefault(email.message_id, email)


def message_tickets(parsed: ParsedMessage) -> list[str]:
    return find_tickets(parsed.subject) + find_tickets(parsed.text) + find_tickets(parsed.html)


def thread_links(parsed: ParsedMessage, index: ThreadIndex | None = None) -> Links:
    """The Request/Deal (and the mailing recipient's records) a message answers."""
    index = index or ThreadIndex([parsed])
    links = Links()
    tickets = message_tickets(parsed)
    links.request = next((index.requests[t] for t in tickets if t in index.requests), None)
    links.deal = next((index.deals[t] for t in tickets if t in index.deals), None)
    refs = parsed.referenced_ids  # the nearest parent first
    recipient = next((index.recipients[r] for r in refs if r in index.recipients), None)
    if recipient is not None:
        links.answers_ours = True
        links.contact, links.lead = recipient.contact, recipient.lead
        links.company = recipient.company or (recipient.contact.company if recipient.contact else None)
    earlier = next((index.earlier[r] for r in refs if r in index.earlier), None)
    if earlier is not None:
        links.answers_ours = True
        links.request = links.request or earlier.request
        links.deal = links.deal or earlier.deal
    return links


def counterpart_addresses(parsed: ParsedMessage, account, outgoing: bool) -> list[tuple[str, str]]:
    """The other party: the sender of incoming mail, the recipients of our own."""
    own = {account.email.lower()}
    pairs = parsed.to + parsed.cc if outgoing else [(parsed.sender_name, parsed.sender)]
    return [(name, address) for name, address in pairs if address and address not in own]


def auto_link(
    links: Links, parsed: ParsedMessage, account, outgoing: bool, cache=None, parties: Parties | None = None
) -> Links:
    """Fill contact/company/lead from the thread's record, then by address, domain and name.

    `cache` (a dict kept for one sync) saves the lookups of a party seen before."""
    for record in (links.request, links.deal):
        if record is not None:
            links.contact = links.contact or record.contact
            links.company = links.company or record.company
            links.lead = links.lead or record.lead
    cache = {} if cache is None else cache
    for name, address in counterpart_addresses(parsed, account, outgoing):
        if (links.contact or links.lead) and links.company:
            break
        key = (name, address)
        if key not in cache:
            cache[key] = _lookup_party(name, address, account.owner_id, parties)
        contact, lead, company = cache[key]
        if links.contact is None and links.lead is None:
            links.contact, links.lead = contact, lead
        links.company = links.company or company or (links.contact.company if links.contact else None)
        if links.contact or links.lead or links.company:
            break
    return links


def _lookup_party(name: str, address: str, owner_id, parties: Parties | None = None):
    """(contact, lead, company) for one address: by address, company domain, then name."""
    if parties is None:
        parties = Parties([address])
    contact = _pick(parties.contacts[address], owner_id)
    lead = _pick(parties.leads[address], owner_id)
    company = contact.company if contact else None
    company = company or _pick(parties.companies[address], owner_id)
    domain = address.rpartition("@")[2]
    company = company or _pick(parties.by_domain[domain], owner_id)
    if contact is None and lead is None and name:
        contact = _by_name(Contact, name, company)
        lead = None if contact else _by_name(Lead, name, None)
        company = company or (contact.company if contact else None)
    return contact, lead, company


def _pick(rows, owner_id):
    """The owner's own record, else the only one; several others are ambiguous: none."""
    rows = list(rows[:20])
    if owner_id is not None:
        mine = [row for row in rows if row.owner_id == owner_id]
        if len(mine) == 1:
            return mine[0]
    return rows[0] if len(rows) == 1 else None


def _by_name(model, display_name: str, company):
    parts = display_name.replace(",", " ").split()
    if len(parts) < 2:
        return None
    first, last = parts[0], parts[-1]
    if "," in display_name:  # "Smith, John"
        first, last = parts[-1], parts[0]
    queryset = model.objects.filter(first_name__iexact=first, last_name__iexact=last)
    if model is Contact:
        queryset = queryset.select_related("company")
    if company is not None and model is Contact:
        queryset = queryset.filter(company=company)
    rows = list(queryset[:2])
    return rows[0] if len(rows) == 1 else None


def create_unknown_contact(links: Links, parsed: ParsedMessage, account) -> Contact | None:
    """A Contact for an unknown sender of incoming mail (see the module docstring)."""
    address = parsed.sender
    if links.contact or links.lead or not address or address == account.email.lower():
        return None
    owner = account.owner or (links.request.owner if links.request else None)
    company = links.company or _company_from_domain(address, owner)
    first, _, last = (parsed.sender_name or "").partition(" ")
    contact = Contact.objects.create(
        company=company,
        email=address,
        first_name=first[:100],
        last_name=last[:100],
        owner=owner,
        description="Created from incoming mail",
    )
    links.contact, links.company = contact, company
    return contact


def _company_from_domain(address: str, owner) -> Company:
    domain = address.rpartition("@")[2].lower()
    owner_filter = {"owner": owner} if owner else {"owner__isnull": True}
    if domain in FREE_MAIL_DOMAINS:
        company, _ = Company.objects.get_or_create(full_name=PLACEHOLDER_COMPANY, **owner_filter)
        return company
    company = Company.objects.filter(website__icontains=domain, **owner_filter).first()
    return company or Company.objects.create(
        full_name=domain, website=f"https://{domain}", owner=owner, description="Created from incoming mail"
    )


def note_answer(links: Links, parsed: ParsedMessage, outgoing: bool) -> None:
    """A real answer from the other party reopens a closed Request; auto-replies never do."""
    if outgoing or parsed.is_auto_reply or links.request is None:
        return
    if links.request.status != Request.Status.CLOSED:
        return  # nothing to reopen: spare the UPDATE
    Request.objects.filter(pk=links.request.pk, status=Request.Status.CLOSED).update(
        status=Request.Status.IN_PROGRESS
    )
