"""Every page of each role's navigation, walked in Chromium at a laptop's 1366×768.

Each page must load without a 4xx/5xx (the page, its files and its htmx calls), without a
console or page error, and without scrolling sideways: neither the document nor a box inside it
(Django's change list scrolls in its own box, which hides cut-off columns from the document's
width). A full-page screenshot of each page is kept under test-artifacts/screenshots/<role>/
for a reviewer (README, "Run the tests"). Failures are collected and reported together, so one
run shows every problem.
"""

import datetime as dt
import re
import shutil
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from correspondence.models import CrmEmail, EmailTemplate, Signature
from crm.models import Company, Contact, Deal, Lead, Request
from crm.tests.fixtures import log_in
from mailaccounts.accounts import notify_account
from mailaccounts.models import AccountGrant, AccountNotification, EmailAccount, ImapFolder
from massmail.mailings import create_mailing, notify_mailing
from massmail.models import MailingNotification, MailingRecipient, Message
from testsupport.screenshots import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}
WIDE = {"width": 1920, "height": 1080}
BODY = '<p>Hello {{ first_name }},</p><p>our spring offer.</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'
# Links that download, change state or leave the walk's site.
SKIPPED_LINKS = re.compile(r"/logout/|/delete/|export|/files/|/mail/\d+/body/|/password_change/|/sent-mail/")

# Long values, as real address books have them: they must truncate, not widen the page.
LONG_COMPANIES = [
    "Internationale Handelsgesellschaft für Landmaschinen und Ersatzteile Nord GmbH & Co. KG",
    "Société Européenne de Distribution de Matériel Électrique et d'Éclairage Industriel SARL",
    "Blue Harbor Logistics",
]
LONG_PEOPLE = [
    ("Maximiliane-Konstanze", "von Hohenzollern-Sigmaringen-Wittelsbach"),
    ("Jean-Baptiste", "de la Rochefoucauld-Montmorency"),
    ("Ann", "Lee"),
]


def _records_of(owner, prefix):
    companies = []
    for i, name in enumerate(LONG_COMPANIES):
        companies.append(
            Company.objects.create(
                full_name=name,
                email=f"international.procurement.department.{prefix}{i}@{name.split()[0].lower()}-handels-und-vertriebsgesellschaft.example.com",
                country="Germany" if i % 2 else "United Kingdom of Great Britain and Northern Ireland",
                city="Villingen-Schwenningen am Schwarzwald",
                industry="manufacturing",
                owner=owner,
                is_vip=i == 0,
                massmail=i != 1,
            )
        )
    contacts = []
    for i, (first, last) in enumerate(LONG_PEOPLE):
        contacts.append(
            Contact.objects.create(
                first_name=first,
                last_name=last,
                email=f"{first.lower()}.{last.lower().replace(' ', '')}.{prefix}@{companies[i].email.split('@')[1]}",
                company=companies[i],
                country=companies[i].country,
                owner=owner,
                is_vip=i == 0,
                massmail=i != 1,
            )
        )
        Lead.objects.create(
            first_name=first,
            last_name=last,
            email=f"lead.{first.lower()}.{prefix}{i}@prospective-customers-and-partners.example.org",
            company_name=LONG_COMPANIES[i],
            country=companies[i].country,
            industry="retail",
            owner=owner,
            is_vip=i == 2,
            massmail=i != 0,
        )
    Contact.objects.create(first_name="No", last_name="Address", company=companies[2], owner=owner)
    request = Request.objects.create(
        subject="Quote for 40 seats of the enterprise plan with on-site training and a three-year support contract",
        owner=owner,
        contact=contacts[0],
        company=companies[0],
    )
    Deal.objects.create(
        name="Enterprise plan for the whole procurement department, renewal 2027",
        amount=125_000,
        owner=owner,
        company=companies[0],
        request=request,
    )
    return companies, contacts, request


def _account(owner, email, **fields):
    values = {
        "owner": owner,
        "email": email,
        "display_name": "Sales team" if owner is None else owner.get_full_name(),
        "smtp_host": "127.0.0.1",
        "smtp_port": 1,  # nothing listens: the walk sends nothing
        "smtp_security": "none",
        "imap_host": "127.0.0.1",
        "imap_port": 1,
        "password": "",
        "massmail": True,
    }
    return EmailAccount.objects.create(**{**values, **fields})


def _mailing_in_every_state(owner, contacts, account):
    signature = Signature.objects.create(owner=owner, name="Default", body="<p>{{ user.name }}</p>")
    message = Message.objects.create(
        owner=owner,
        name="Spring offer for long-standing customers in the manufacturing sector",
        subject="Our spring offer for {{ company }}: twenty percent off every renewal until the end of May",
        body=BODY,
        signature=signature,
    )
    mailing = create_mailing(owner, message, Contact.objects.filter(owner=owner), name=message.name)
    rows = list(mailing.recipients.exclude(status=MailingRecipient.Status.SKIPPED).order_by("pk"))
    now = timezone.now()
    MailingRecipient.objects.filter(pk=rows[0].pk).update(status="sent", sent_at=now, account=account)
    if len(rows) > 1:
        MailingRecipient.objects.filter(pk=rows[1].pk).update(
            status="failed", last_error="550 5.1.1 The email account that you tried to reach does not exist"
        )
    for level, text in [
        (MailingNotification.Level.INFO, "Started: 3 recipients, through 2 accounts."),
        (
            MailingNotification.Level.ERROR,
            "The account alice.sales.department.east@very-long-company-domain.example.com was refused by the "
            "server (535 5.7.8 Username and Password not accepted) and was disabled.",
        ),
        (MailingNotification.Level.INFO, "Resumed by the owner."),
    ]:
        notify_mailing(mailing, text, level)
    return mailing


def _mail(account, owner, contact, request):
    t0 = timezone.now() - dt.timedelta(hours=3)
    common = {"account": account, "folder": "INBOX", "contact": contact}
    CrmEmail.objects.create(
        **common,
        direction="in",
        message_id=f"<first.{account.pk}@client.example.com>",
        subject="Question about the enterprise plan and the on-site training for our procurement department",
        sender=contact.email,
        recipients=account.email,
        date=t0,
        text="Dear team, could you send us a quote?",
        html="<p>Dear team, could you send us a quote?</p>",
    )
    CrmEmail.objects.create(
        **common,
        direction="out",
        status="sent",
        owner=owner,
        message_id=f"<reply.{account.pk}@crm.test>",
        in_reply_to=f"<first.{account.pk}@client.example.com>",
        references=f"<first.{account.pk}@client.example.com>",
        subject=f"Re: Quote [ticket:{request.ticket}]",
        sender=account.email,
        recipients=contact.email,
        date=t0 + dt.timedelta(hours=1),
        text="Here it is.",
        request=request,
    )
    CrmEmail.objects.create(
        account=account,
        direction="out",
        status="draft",
        owner=owner,
        subject="Follow-up on our quote for the enterprise plan, with the revised training schedule attached",
        recipients=", ".join(c.email for c in Contact.objects.filter(owner=owner).exclude(email="")),
        html="<p>Draft</p>",
    )
    EmailTemplate.objects.create(
        owner=owner,
        name="Follow-up after a trade fair visit with a catalogue and a personal discount code",
        subject="Nice to meet you at {{ company }}",
        body="<p>Hello {{ first_name }}</p>",
        is_shared=True,
    )


def build_walk_data(alice, bob, carol):
    """Several long-named records per sales manager, accounts with notifications, a mailing with
    recipients in several states, signatures, templates, a draft and an inbox conversation."""
    for user in (alice, bob, carol):
        user.last_name = "Featherstonehaugh-Cholmondeley"
        user.save()
    # A long user name too (owner columns show it); bob never logs in here.
    bob.username = "bob.featherstonehaugh-cholmondeley"
    bob.save()
    data = {}
    for user in (alice, bob, carol):
        companies, contacts, request = _records_of(user, user.username)
        account = _account(
            user,
            f"{user.username}.sales.department.east@very-long-company-domain.example.com",
            daily_limit=250,
            do_import=True,
        )
        _account(user, f"{user.username}.main@crm.test", is_main=True, daily_limit=50)
        ImapFolder.objects.create(account=account, name="INBOX")
        for level, text in [
            (
                AccountNotification.Level.ERROR,
                "IMAP login refused: [AUTHENTICATIONFAILED] Invalid credentials (Failure)",
            ),
            (AccountNotification.Level.INFO, "Mailing “Spring offer for long-standing customers” finished."),
        ]:
            notify_account(account, text, level)
        _mail(account, user, contacts[0], request)
        data[user.username] = _mailing_in_every_state(user, contacts, account)
    shared = _account(None, "sales@crm.test", massmail=False)
    AccountGrant.objects.create(account=shared, user=alice, access="full")
    return data


# --- the walk --------------------------------------------------------------------------------


def _pattern(url):
    """Pages of one kind share a pattern: record ids become N, so one record per kind is seen."""
    parts = urlsplit(url)
    return re.sub(r"\d+", "N", parts.path) + (
        "?" + parts.query.split("=")[0] if "/thread/" in parts.path else ""
    )


def _slug(url, base):
    path = url.removeprefix(base).strip("/") or "home"
    return re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-")[:120]


OVERLAPPING_BLOCKS = """() => {
    const found = [];
    let above = null;
    for (const el of document.querySelectorAll('#content > *')) {
        const box = el.getBoundingClientRect();
        if (box.height === 0 || el.tagName === 'BR' || getComputedStyle(el).position !== 'static') continue;
        if (above && box.top < above.box.bottom - 1) {
            found.push(`${el.tagName.toLowerCase()}#${el.id} starts at ${Math.round(box.top)}px, `
                + `inside ${above.name} (to ${Math.round(above.box.bottom)}px)`);
        }
        above = {box, name: `${el.tagName.toLowerCase()}#${el.id}`};
    }
    // A table wider than the box it is in: its last columns hang out of the box's heading.
    for (const table of document.querySelectorAll('#content .module table')) {
        const box = table.closest('.module').getBoundingClientRect();
        const right = table.getBoundingClientRect().right;
        if (right > box.right + 1) {
            found.push(`a table ${Math.round(right - box.right)}px wider than its box `
                + `${table.closest('.module').id ? '#' + table.closest('.module').id : ''}`);
        }
    }
    return found;
}"""


class Walk:
    """Visits pages in one browser tab and notes every problem seen on the way."""

    def __init__(self, page, base, role):
        self.page, self.base, self.role = page, base, role
        self.width = page.viewport_size["width"]
        self.problems, self.visited, self.current = [], [], ""
        self.folder = SCREENSHOTS / role
        shutil.rmtree(self.folder, ignore_errors=True)  # only this run's pages, no stale ones
        self.folder.mkdir(parents=True)
        page.on("response", self._on_response)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self._note(f"page error: {error}"))

    def _note(self, text):
        self.problems.append(f"{self.role} {self.current}: {text}")

    def _on_response(self, response):
        if response.status >= 400:
            self._note(f"{response.status} {response.request.method} {response.url}")

    def _on_console(self, message):
        if message.type == "error":
            self._note(f"console error: {message.text}")

    def visit(self, url):
        self.current = url.removeprefix(self.base)
        self.visited.append(self.current)
        self.page.goto(url)
        self.page.wait_for_load_state("networkidle")
        self._check_width()
        self._check_overlap()
        self.page.screenshot(path=str(self.folder / f"{_slug(url, self.base)}.png"), full_page=True)

    def _check_width(self):
        wide = self.page.evaluate(
            """() => {
                const found = [];
                const doc = document.documentElement;
                if (doc.scrollWidth > window.innerWidth) found.push(`document ${doc.scrollWidth}px`);
                // A list box or text area scrolls its own long lines: that is the control's, not the page's.
                for (const el of document.querySelectorAll('body *:not(select):not(textarea)')) {
                    const overflow = getComputedStyle(el).overflowX;
                    if ((overflow === 'auto' || overflow === 'scroll') && el.scrollWidth > el.clientWidth + 1) {
                        found.push(`${el.tagName.toLowerCase()}#${el.id}.${[...el.classList].join('.')} `
                            + `${el.scrollWidth}px in ${el.clientWidth}px`);
                    }
                }
                return found;
            }"""
        )
        for what in wide:
            self._note(f"scrolls sideways at {self.width}px: {what}")

    def _check_overlap(self):
        # The blocks of a page's content follow each other down the page: one that starts above
        # the end of the one before lies under it (a heading showing through a floated form).
        # And a table stays inside its box.
        overlaps = self.page.evaluate(OVERLAPPING_BLOCKS)
        for what in overlaps:
            self._note(f"overlap: {what}")

    def links(self, selector):
        hrefs = self.page.eval_on_selector_all(selector, "els => els.map(a => a.href)")
        return [h.split("#")[0] for h in hrefs if h.startswith(self.base) and not SKIPPED_LINKS.search(h)]


def walk_site(page, base, start, role, menu_selector):
    """The start page, every page its menu and index list, then one page of each new kind linked
    from those (a list's first record, a conversation, a draft, a report)."""
    walk = Walk(page, base, role)
    walk.visit(start)
    first = [start]
    for href in walk.links(menu_selector):
        if href not in first:
            first.append(href)
    seen = {_pattern(u) for u in first}
    second = []
    for url in first[1:]:
        walk.visit(url)
        for href in walk.links("#content a[href]"):
            if _pattern(href) not in seen:
                seen.add(_pattern(href))
                second.append(href)
    for url in second:
        walk.visit(url)
    return walk


CRM_MENU = ".crm-nav a[href], #content-main a[href], #nav-sidebar a[href]"


# (user, site, viewport): each role on /crm/, the superuser on /admin/ too, one role on a wide screen.
WALKS = {
    "alice": ("alice", "crm", LAPTOP),
    "dana": ("dana", "crm", LAPTOP),
    "erin": ("erin", "crm", LAPTOP),
    "root": ("root", "crm", LAPTOP),
    "root-admin": ("root", "admin", LAPTOP),
    "dana-1920": ("dana", "crm", WIDE),
}


@pytest.mark.parametrize("name", WALKS)
def test_every_page_of_each_role_loads_cleanly_and_fits_the_screen(
    name, browser, live_server, alice, bob, carol, dana, erin, root
):
    build_walk_data(alice, bob, carol)
    username, site, viewport = WALKS[name]
    user = {"alice": alice, "dana": dana, "erin": erin, "root": root}[username]
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, live_server, user)
        # Screenshots go to test-artifacts/screenshots/<name>/, replacing the last run's.
        menu = CRM_MENU if site == "crm" else "#content-main a[href]"
        walk = walk_site(page, live_server.url, f"{live_server.url}/{site}/", name, menu)
    finally:
        context.close()
    print(f"{name}: {len(walk.visited)} pages, screenshots in {walk.folder}\n  " + "\n  ".join(walk.visited))
    assert not walk.problems, f"{len(walk.problems)} problems:\n" + "\n".join(walk.problems)
