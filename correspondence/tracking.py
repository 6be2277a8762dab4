"""Open and click tracking: instrumenting outgoing HTML, signed tokens, event storage.

A click token names a `TrackedLink` row (a link that was in that message when it was sent),
never a URL, so the redirect cannot be pointed anywhere else: there is no open redirect.
Tokens are signed with `django.core.signing` and a salt of their own.

Each click is one `TrackingEvent`. Fetches of the pixel are counted once per message, client
(address, user agent and method) and OPEN_WINDOW: a client that reloads an image, or a script
that fetches it 200 times, is one open, and the same client reading again later is another.
"Unique" figures are counted in `correspondence.reports` and `massmail.reports`. Fetches that
a person did not make (privacy proxies that load every image on delivery, security scanners
that follow every link) are stored with `is_machine`
and counted apart, as far as they can be told apart: by user agent, by a HEAD request, and
by a click within seconds of delivery.

Recording an event on a GET is the one exception to "nothing changes state on GET": a mail
client only ever GETs, and the event is an append-only log, not a change a person makes.
"""

import datetime as dt
import hashlib
import hmac
import html as html_lib
import re

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from correspondence.models import CrmEmail, TrackedLink, TrackingEvent
from crm.client_address import client_address

SALT = "massmail.tracking"  # where tracking began: changing it would void the links already sent
# A 1×1 transparent GIF.
PIXEL_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
# A person reads before they click; a scanner follows every link as the message arrives.
SCANNER_CLICK_SECONDS = 10
# Repeated fetches of one pixel by one client within a window are one open.
OPEN_WINDOW = dt.timedelta(minutes=10)

HREF_RE = re.compile(r"""(<a\b[^>]*?\shref\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
BODY_END_RE = re.compile(r"</body\s*>", re.IGNORECASE)

# (pattern, reason): user agents of machines that fetch images or follow links.
MACHINE_AGENTS = [
    (re.compile(r"GoogleImageProxy|ggpht\.com", re.I), "Google image proxy"),
    (re.compile(r"YahooMailProxy", re.I), "Yahoo image proxy"),
    # Apple Mail Privacy Protection fetches with a bare WebKit agent (no Safari, no Mail
    # version). Apple Mail without the proxy looks the same; both are counted apart, as
    # the major senders do, since opens behind the proxy say nothing about reading.
    (
        re.compile(
            r"^Mozilla/5\.0( \(Macintosh; Intel Mac OS X [\d_]+\) AppleWebKit/[\d.]+ \(KHTML, like Gecko\))?$"
        ),
        "Apple Mail Privacy Protection",
    ),
    (
        re.compile(
            r"bot\b|crawler|spider|scanner|preview|python-requests|python-urllib|curl/|wget/|"
            r"go-http-client|okhttp|java/|libwww|headlesschrome|barracuda|proofpoint|mimecast|"
            r"symantec|safelinks|urldefense|trendmicro|zscaler|forcepoint|facebookexternalhit|slackbot",
            re.I,
        ),
        "link scanner",
    ),
]


# --- mailing recipients --------------------------------------------------------------------------

# Mailings are tracked here too: massmail registers how its recipient rows are found
# (`register_recipient_finder` in its AppConfig.ready), so this module imports no mailing code.
_recipient_finders = []


def register_recipient_finder(find):
    """`find(pk)` returns the recipient row (with `id`, `mailing_id`, `sent_at`) or None."""
    if find not in _recipient_finders:
        _recipient_finders.append(find)


def _find_recipient(pk):
    return next((row for find in _recipient_finders if (row := find(pk)) is not None), None)


# --- tokens ------------------------------------------------------------------------------


def _signer():
    return signing.Signer(salt=SALT)


def _subject(mailing_recipient=None, crm_email=None):
    if (mailing_recipient is None) == (crm_email is None):
        raise ValueError("give exactly one of mailing_recipient and crm_email")
    return f"r{mailing_recipient.pk}" if mailing_recipient is not None else f"e{crm_email.pk}"


def open_token(mailing_recipient=None, crm_email=None):
    return _signer().sign(f"o.{_subject(mailing_recipient, crm_email)}")


def click_token(link_id, mailing_recipient=None, crm_email=None):
    return _signer().sign(f"c.{_subject(mailing_recipient, crm_email)}.{link_id}")


def read_token(token, kind):
    """(kind, recipient_id, email_id, link_id) from a token, or None when it is not ours."""
    try:
        value = _signer().unsign(token)
    except signing.BadSignature:
        return None
    parts = value.split(".")
    if parts[0] != kind or len(parts) != (3 if kind == "c" else 2) or len(parts[1]) < 2:
        return None
    subject, number = parts[1][0], parts[1][1:]
    if subject not in "re" or not number.isdigit():
        return None
    link_id = int(parts[2]) if kind == "c" and parts[2].isdigit() else None
    if kind == "c" and link_id is None:
        return None
    recipient_id = int(number) if subject == "r" else None
    email_id = int(number) if subject == "e" else None
    return kind, recipient_id, email_id, link_id


def open_url(mailing_recipient=None, crm_email=None):
    return f"{settings.SITE_URL}/m/o/{open_token(mailing_recipient, crm_email)}.gif"


def click_url(link_id, mailing_recipient=None, crm_email=None):
    return f"{settings.SITE_URL}/m/c/{click_token(link_id, mailing_recipient, crm_email)}/"


# --- instrumenting outgoing HTML ------------------------------------------------------------


def _trackable(url):
    # Our own public endpoints (unsubscribe) stay direct: one click must unsubscribe.
    return url.lower().startswith(("http://", "https://")) and not url.startswith(f"{settings.SITE_URL}/m/")


# mailing id -> {url: TrackedLink id}. A link row never changes once made, so a worker
# rendering thousands of recipients of one mailing looks its links up once.
_MAILING_LINKS = {}
_MAILING_LINKS_MAX = 256


def link_ids(urls, mailing=None, crm_email=None):
    """{url: TrackedLink id} for the links of one message, created on first use.

    `mailing` is a mailing id (the renderer has only the id at hand), `crm_email` a CrmEmail.
    """
    urls = list(dict.fromkeys(urls))
    if not urls:
        return {}
    if mailing is None:
        return _stored_links(urls, {"crm_email": crm_email})
    key = mailing
    cached = _MAILING_LINKS.get(key, {})
    if all(url in cached for url in urls):
        return {url: cached[url] for url in urls}
    found = _stored_links(urls, {"mailing_id": mailing})
    if len(_MAILING_LINKS) >= _MAILING_LINKS_MAX:
        _MAILING_LINKS.clear()
    _MAILING_LINKS.setdefault(key, {}).update(found)
    return found


def _stored_links(urls, owner):
    found = dict(TrackedLink.objects.filter(url__in=urls, **owner).values_list("url", "id"))
    missing = [url for url in urls if url not in found]
    if missing:
        # Several workers may render the same mailing at once: a conflict means the row exists.
        TrackedLink.objects.bulk_create(
            [TrackedLink(url=url, **owner) for url in missing], ignore_conflicts=True
        )
        found = dict(TrackedLink.objects.filter(url__in=urls, **owner).values_list("url", "id"))
    return found


def instrument_html(html, mailing_recipient=None, crm_email=None, *, opens=True, clicks=True):
    """The HTML with its http(s) links sent through the click redirect and an open pixel.

    Call it on the final HTML of one message, just before it is sent. The links are stored
    (per mailing, or per one-to-one email) so that a click can only lead to them.
    """
    if clicks:
        urls = [html_lib.unescape(m.group(3).strip()) for m in HREF_RE.finditer(html)]
        mailing_id = mailing_recipient.mailing_id if mailing_recipient is not None else None
        ids = link_ids([u for u in urls if _trackable(u)], mailing=mailing_id, crm_email=crm_email)

        def rewrite(match):
            url = html_lib.unescape(match.group(3).strip())
            if url not in ids:
                return match.group(0)
            tracked = click_url(ids[url], mailing_recipient, crm_email)
            return f"{match.group(1)}{match.group(2)}{html_lib.escape(tracked)}{match.group(2)}"

        html = HREF_RE.sub(rewrite, html)
    if opens:
        pixel = (
            f'<img src="{html_lib.escape(open_url(mailing_recipient, crm_email))}" width="1" height="1" '
            'alt="" style="display:block;border:0;width:1px;height:1px">'
        )
        ends = list(BODY_END_RE.finditer(html))
        html = html[: ends[-1].start()] + pixel + html[ends[-1].start() :] if ends else html + pixel
    return html


def instrument_message(message, mailing_recipient=None, crm_email=None, *, opens=True, clicks=True):
    """Instrument the text/html part of a rendered EmailMessage in place (see instrument_html).

    For the drip sender: `CompiledMessage.render(...)` then this, when the account tracks.
    """
    for part in message.walk():
        if part.get_content_type() == "text/html" and not part.is_attachment():
            html = instrument_html(
                part.get_content(), mailing_recipient, crm_email, opens=opens, clicks=clicks
            )
            part.set_content(html, subtype="html")
            return message
    return message


# --- recording events -------------------------------------------------------------------------


def machine_reason(method, user_agent, kind, seconds_since_sent=None):
    """Why a fetch looks made by a machine, or "" when it looks made by a person."""
    if method == "HEAD":
        return "HEAD request"
    if not user_agent.strip():
        return "no user agent"
    for pattern, reason in MACHINE_AGENTS:
        if pattern.search(user_agent.strip()):
            return reason
    if (
        kind == TrackingEvent.Kind.CLICK
        and seconds_since_sent is not None
        and seconds_since_sent < SCANNER_CLICK_SECONDS
    ):
        return f"clicked {max(seconds_since_sent, 0):.0f} s after delivery"
    return ""


def _keyed_hash(text):
    return hmac.new(settings.SECRET_KEY.encode(), text.encode(), hashlib.sha256).hexdigest()[:32]


def hash_ip(address):
    return _keyed_hash(address) if address else ""


def client_hash(ip, user_agent, method):
    """Who fetched, as a keyed hash: nothing of the address can be read back from it."""
    return _keyed_hash(f"{ip}\n{user_agent}\n{method}")


def open_window(now):
    """The start of the OPEN_WINDOW-long period (counted from the epoch) that `now` falls in."""
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return epoch + (now - epoch) // OPEN_WINDOW * OPEN_WINDOW


def _target_or_404(token, kind):
    """(recipient row, CrmEmail, link id) a token names; a 404 when it is not ours or is gone."""
    parsed = read_token(token, kind)
    _, recipient_id, email_id, link_id = parsed or (None, None, None, None)
    recipient = crm_email = None
    if recipient_id is not None:
        recipient = _find_recipient(recipient_id)
    elif email_id is not None:
        crm_email = CrmEmail.objects.filter(pk=email_id).only("id", "date").first()
    if recipient is None and crm_email is None:
        raise Http404("Unknown tracking token.")
    return recipient, crm_email, link_id


def record_event(kind, recipient, crm_email, *, method, user_agent, ip, link=None, now=None):
    now = now or timezone.now()
    sent_at = recipient.sent_at if recipient is not None else crm_email.date
    seconds = (now - sent_at).total_seconds() if sent_at else None
    reason = machine_reason(method, user_agent, kind, seconds)
    event = TrackingEvent(
        kind=kind,
        mailing_recipient=recipient,
        crm_email=crm_email,
        link=link,
        url=link.url if link else "",
        user_agent=user_agent[:500],
        ip_hash=hash_ip(ip),
        is_machine=bool(reason),
        machine_reason=reason,
        created_at=now,
    )
    if kind == TrackingEvent.Kind.OPEN:
        event.client_hash = client_hash(ip, user_agent, method)
        event.window_start = open_window(now)
    try:
        with transaction.atomic():
            # One INSERT; for an open already counted in this window the unique constraint
            # makes it write nothing (ON CONFLICT DO NOTHING).
            TrackingEvent.objects.bulk_create([event], ignore_conflicts=True)
    except IntegrityError:
        pass  # the message was deleted between the lookup and the insert


def from_our_staff(request):
    """A fetch by someone reading the message in the CRM (a copy imported from Sent), not by its recipient."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        return True
    return request.META.get("HTTP_REFERER", "").startswith(f"{settings.SITE_URL}/crm/")


def _client(request):
    return request.META.get("HTTP_USER_AGENT", ""), client_address(request)


@never_cache
@require_safe
def open_pixel(request, token):
    """GET /m/o/<token>.gif: one open event, then the 1×1 GIF."""
    recipient, crm_email, _ = _target_or_404(token, "o")
    if not from_our_staff(request):
        user_agent, ip = _client(request)
        record_event(
            TrackingEvent.Kind.OPEN, recipient, crm_email, method=request.method, user_agent=user_agent, ip=ip
        )
    return HttpResponse(PIXEL_GIF, content_type="image/gif")


@never_cache
@require_safe
def click_redirect(request, token):
    """GET /m/c/<token>/: one click event, then a redirect to the link of that message."""
    recipient, crm_email, link_id = _target_or_404(token, "c")
    owner = {"mailing_id": recipient.mailing_id} if recipient else {"crm_email_id": crm_email.pk}
    # The link must belong to the very message the token names.
    link = TrackedLink.objects.filter(pk=link_id, **owner).first()
    if link is None or not _trackable(link.url):
        raise Http404("This link is not part of that message.")
    if not from_our_staff(request):
        user_agent, ip = _client(request)
        record_event(
            TrackingEvent.Kind.CLICK,
            recipient,
            crm_email,
            method=request.method,
            user_agent=user_agent,
            ip=ip,
            link=link,
        )
    return HttpResponseRedirect(link.url)
