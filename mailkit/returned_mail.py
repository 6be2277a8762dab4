"""What came back: a bounce, a complaint, an auto-reply, a delivery notice, or an ordinary message.

`read_returned_mail(message)` reads one parsed message (compat32, as `email.message_from_bytes`
gives it) and says which it is:

- a bounce: RFC 3464 `multipart/report; report-type=delivery-status` is read here, keeping each
  recipient's Status and Diagnostic-Code; any other server's own format (qmail, older Exim and
  Sendmail, Yahoo, Exchange 2003, mail.ru, McAfee, Domino…) goes to flufl.bounce, GNU Mailman's
  detectors, for the failed addresses, and the reason is read from the words around each one.
  Every failure is classified by `bounce_reasons.classify`; only a hard one should suppress.
- a complaint: an ARF feedback report (RFC 5965) or a provider's feedback loop that returns the
  message (Outlook.com JMRP), with the complained address.
- an auto-reply (RFC 3834, vacation and out-of-office in the common forms, read receipts): never
  a bounce, even from a server that marks its bounces `Auto-Submitted` (Exim does).
- a delay or other delivery notice ("Action: delayed", "not yet delivered"): never a failure.

Each verdict carries the Message-IDs of the original when the report returns its headers
(`message/rfc822`, `text/rfc822-headers`, Gmail's X-Original-Message-ID, or headers quoted in
the text), so the caller finds the recipient row by Message-ID first, else by address.

The IMAP sync fetches headers first: `may_be_returned(headers)` says from them alone whether a
body is worth fetching; `read_returned_mail(message)` then gives the verdict on the whole message.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.header
import email.utils
import quopri
import re
from dataclasses import dataclass
from email.message import Message
from enum import StrEnum
from functools import cached_property

from flufl.bounce import all_failures

from mailkit.bounce_reasons import Reason, classify, find_smtp_code, find_status, reason_in_text


class Kind(StrEnum):
    BOUNCE = "bounce"
    COMPLAINT = "complaint"
    AUTO_REPLY = "auto_reply"
    DELAY = "delay"  # a delivery notice that reports no failure: delayed, relayed, delivered
    NONE = "none"  # an ordinary message


@dataclass(frozen=True)
class Failure:
    address: str  # lower-cased
    status: str  # "5.1.1", "" when the report gives none
    smtp_code: str  # "550", ""
    diagnostic: str  # the receiver's reply or the bounce's own words, one line
    reason: Reason
    hard: bool


@dataclass(frozen=True)
class Returned:
    kind: Kind
    failures: tuple[Failure, ...] = ()
    complained: tuple[str, ...] = ()  # addresses a complaint names (empty when redacted)
    feedback_type: str = ""
    original_mail_from: str = ""  # a complaint's envelope sender: ours, VERP-encoded if we do that
    delayed: tuple[str, ...] = ()
    message_ids: tuple[str, ...] = ()  # of the original message, "<id@host>"

    @property
    def hard_failures(self) -> tuple[Failure, ...]:
        return tuple(f for f in self.failures if f.hard)

    @property
    def is_report(self) -> bool:
        """A bounce, complaint or delivery notice: about a message, not a message for a thread."""
        return self.kind in (Kind.BOUNCE, Kind.COMPLAINT, Kind.DELAY)

    @property
    def suppresses(self) -> bool:
        """Whether anything here suppresses an address at once (a hard bounce or a complaint)."""
        return self.kind is Kind.COMPLAINT or bool(self.hard_failures)


NOTHING = Returned(Kind.NONE)
DSN_TYPES = ("message/delivery-status", "message/global-delivery-status")
MAX_ADDRESSES = 100  # one message we sent has a handful of recipients, not thousands
WORDS_TRIES, WORDS_WINDOW = 10, 4000  # where a notice says why an address failed
PARAGRAPH_RE = re.compile(r"\r?\n[ \t]*\r?\n")

SURROGATE_RE = re.compile("[\udc80-\udcff]")
MESSAGE_ID_RE = re.compile(r"<[^<>\s]+@[^<>\s]+>")
QUOTED_MESSAGE_ID_RE = re.compile(
    r"^[ \t>]*Message-ID:[ \t]*\n?[ \t]*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE
)
# Starts only where a local part can start, so a long run of letters costs one pass, not n².
ADDRESS_RE = re.compile(r"(?<![\w.!#$%&'*+/=?^`{|}~-])[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
DAEMON_RE = re.compile(
    r"^(mailer-daemon|mail-daemon|mailerdaemon|postmaster|mdaemon|mailer|mail\.?delivery|"
    r"bounces?|nobody|noreply-dmarc|double-bounce|root)(?:[+@]|$)",
    re.IGNORECASE,
)
BOUNCE_SUBJECT_RE = re.compile(
    r"undeliver|undelivered|delivery (status notification|failure|failed|has failed|problem|report|"
    r"notification)|returned mail|return(ed|ing) (message|mail) to sender|failure notice|"
    r"mail delivery (failed|failure|system|subsystem)|could not (be )?deliver|not (be )?delivered|"
    r"delivery status|nondeliverable|non-?delivery|mail (failure|system error)|"
    r"nicht zustellbar|unzustellbar|non remis|non recapitabile|no se pudo entregar|"
    r"недоставлен|не доставлен|notice: mail delivery status|delivery failure|warning: .*delayed|"
    r"delayed mail|delivery delayed|mail could not be delivered",
    re.IGNORECASE,
)
DELAY_RE = re.compile(
    r"\bdelayed\b|still being retried|not (yet )?been delivered|has not (yet )?been delivered|"
    r"hasn't been delivered yet|not delivered yet|will (continue|keep) (to be )?(try|attempt|retr)|"
    r"delivery (will|attempts will) continue|no action is required on your part|"
    r"could not send message for past|will be retried|will retry|zustellung verzögert|"
    r"vorübergehend nicht zugestellt|delivery is delayed",
    re.IGNORECASE,
)
FINAL_RE = re.compile(
    r"permanent (error|failure)|given up|giving up|not going to try again|could not be delivered|"
    r"couldn't be delivered|wasn't delivered|undeliverable|delivery (has )?failed|"
    r"not (be )?delivered to|did not reach|was not delivered|unable to deliver|fatal error",
    re.IGNORECASE,
)
# Where a bounce starts quoting the original: what follows is not the bounce's own words.
RETURNED_COPY_RE = re.compile(
    r"(below this line is a copy|copy of (the|your) (original )?message|original message (follows|"
    r"headers|details)|returned mail follows|unsent message follows|header of the original|"
    r"included is a copy|original message header|message headers follow|-----original message-----|"
    r"\*+ end of message \*+)",
    re.IGNORECASE | re.MULTILINE,
)
AUTO_REPLY_SUBJECT_RE = re.compile(
    r"^\s*(auto(matic|matische|matisch|matiskt|matisk|maattinen)?[ -]?(reply|response|answer|antwort|"
    r"antwoord|svar|vastaus|risposta|respuesta|resposta)|auto:|autoreply|"
    r"out of (the )?office|ooo\b|abwesenheit|r[ée]ponse automatique|absence|absent|"
    r"respuesta autom[áa]tica|fuera de (la )?oficina|risposta automatica|fuori (sede|ufficio)|"
    r"resposta autom[áa]tica|aus[êe]ncia|afwezig|автоответ|автоматический ответ|"
    r"odpowied[źz] automatyczna|nieobecno[śs][ćc]|vacation|on vacation|urlaub|ferien|"
    r"自動応答|自動返信|自动回复)"
    r"|(is|ist|est) (out of the office|außer haus|absent)|\(out of office\)",
    re.IGNORECASE,
)
FORWARDED_RE = re.compile(r"^\s*(fwd?|fw|wg|tr|re|aw|sv|vs|rif|res|ответ|пересл)\s*:", re.IGNORECASE)
FEEDBACK_COMPLAINTS = {"abuse", "fraud", "virus", "other", "opt-out", "complaint", ""}
# Feedback loops that return the message without an ARF report: the sender and its words both.
FEEDBACK_SENDER_RE = re.compile(
    r"^(staff@hotmail\.com|scomp@aol\.net|complaints@[\w.-]*amazonses\.com|[\w.-]*fbl@|"
    r"feedbackloop@|abuse-report@)",
    re.IGNORECASE,
)
FEEDBACK_WORDS_RE = re.compile(
    r"abuse report|complaint|feedback loop|junk mail report|reported as (spam|junk)|spam report",
    re.IGNORECASE,
)


def read_returned_mail(message: Message) -> Returned:
    """The verdict on one message; an ordinary message gives `Kind.NONE`."""
    report = _Report(message)
    complaint = report.complaint()
    if complaint is not None:
        return complaint
    if report.looks_returned():
        bounce = report.bounce()
        if bounce is not None:
            return bounce
    if is_auto_reply(message):
        return Returned(Kind.AUTO_REPLY, message_ids=report.original_ids)
    return NOTHING


def may_be_returned(headers: Message) -> bool:
    """From the headers alone (the sync fetches headers first), whether the message may be a
    bounce, a complaint or an auto-reply, and so its body is worth fetching for
    `read_returned_mail`."""
    report = _Report(headers)
    sender = (_addresses(headers, "From") or [""])[0]
    return (
        report.content_type == "multipart/report"
        or report.looks_returned()
        or bool(FEEDBACK_SENDER_RE.match(sender))
        or is_auto_reply(headers)
    )


def is_auto_reply(message: Message) -> bool:
    """RFC 3834 Auto-Submitted, the vendors' headers, read receipts, out-of-office subjects."""
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return True
    if message.get("X-Autoreply") or message.get("X-Autorespond") or message.get("X-Autogenerated"):
        return True
    if _header(message, "Precedence").lower() == "auto_reply":
        return True
    if str(message.get_param("report-type") or "").lower() == "disposition-notification":
        return True  # a read receipt (RFC 8098)
    return bool(AUTO_REPLY_SUBJECT_RE.search(_header(message, "Subject")))


class _Report:
    """One message being read; each part is walked, decoded and parsed at most once."""

    def __init__(self, message: Message):
        self.message = message
        self.subject = _header(message, "Subject")
        self.content_type = message.get_content_type()
        self.report_type = str(message.get_param("report-type") or "").lower()

    @cached_property
    def parts(self) -> list[tuple[Message, str]]:
        """(part, content type) of every part of the report itself, without descending into a
        returned message."""
        found, stack = [], [self.message]
        while stack:
            part = stack.pop(0)
            content_type = part.get_content_type()
            found.append((part, content_type))
            if content_type.startswith("multipart/") and part.is_multipart():
                stack[:0] = part.get_payload()
        return found

    def parts_of_type(self, *content_types: str) -> list[Message]:
        return [part for part, content_type in self.parts if content_type in content_types]

    @cached_property
    def text_parts(self) -> list[str]:
        return [_part_text(p) for p in self.parts_of_type("text/plain") if not p.get_filename()]

    @cached_property
    def notice(self) -> str:
        """The report's human-readable words, up to where it quotes the original."""
        texts = self.text_parts or [_html_text(p) for p in self.parts_of_type("text/html")]
        text = "\n\n".join(texts).replace("\r\n", "\n")
        cut = RETURNED_COPY_RE.search(text)
        return text[: text.rfind("\n", 0, cut.start()) + 1] if cut else text

    @cached_property
    def status_blocks(self) -> list[Message]:
        return [b for p in self.parts_of_type(*DSN_TYPES) for b in _field_blocks(p)]

    @cached_property
    def originals(self) -> list[Message]:
        """The original as returned: `message/rfc822` parts, `text/rfc822-headers` parsed, or the
        headers a plain-text bounce quotes after its own words."""
        found = []
        for part, content_type in self.parts:
            if content_type in ("message/rfc822", "message/global"):
                payload = part.get_payload()
                inner = payload[0] if isinstance(payload, list) and payload else payload
                if isinstance(inner, Message):
                    found.append(inner)
                elif isinstance(inner, str):
                    found.append(email.message_from_string(inner))
            elif content_type in ("text/rfc822-headers", "text/global-headers"):
                found.append(email.message_from_string(_part_text(part).lstrip()))
        if not found and self.content_type == "text/plain" and self.text_parts:
            quoted = _quoted_original(self.text_parts[0])
            if quoted is not None:
                found.append(quoted)
        return found

    @cached_property
    def original_ids(self) -> tuple[str, ...]:
        ids = [
            i
            for original in self.originals
            for i in MESSAGE_ID_RE.findall(str(original.get("Message-ID", "")))
        ]
        for block in self.status_blocks:
            ids += MESSAGE_ID_RE.findall(str(block.get("X-Original-Message-ID", "")))
        for text in self.text_parts:
            ids += QUOTED_MESSAGE_ID_RE.findall(text)
        own = MESSAGE_ID_RE.findall(str(self.message.get("Message-ID", "")))
        return tuple(i for i in dict.fromkeys(ids) if i not in own)

    @cached_property
    def original_recipients(self) -> set[str]:
        return {
            a for original in self.originals for a in _addresses(original, "To") + _addresses(original, "Cc")
        }

    # --- bounces ---------------------------------------------------------------------------

    def looks_returned(self) -> bool:
        """Whether to look for failures at all: the heuristics must never read a person's mail."""
        if self.content_type == "multipart/report":
            return self.report_type in ("delivery-status", "")
        if self.message.get("X-Failed-Recipients"):
            return True
        sender = _addresses(self.message, "From")
        if sender and DAEMON_RE.match(sender[0]):
            return True
        if _header(self.message, "Return-Path") == "<>" and not self.message.get("Auto-Submitted"):
            return True
        return bool(BOUNCE_SUBJECT_RE.search(self.subject)) and not FORWARDED_RE.match(self.subject)

    def bounce(self) -> Returned | None:
        """A bounce or a delivery notice; None when nothing in it names a failed address."""
        records = self.delivery_status()
        # OpenSMTPD writes the non-standard "Action: error".
        failures = [
            self.failure(a, s, d) for a, action, s, d in records if action.startswith(("fail", "error"))
        ]
        delayed = tuple(a for a, action, _, _ in records if action.startswith("delayed"))
        if records and not failures:
            # Delayed, or a success notice (delivered, relayed, expanded).
            return Returned(Kind.DELAY, delayed=delayed, message_ids=self.original_ids)
        if not records:
            temporary, permanent = self.heuristic_addresses()
            if self.is_delay_notice() or (temporary and not permanent):
                return Returned(
                    Kind.DELAY, delayed=tuple(temporary + permanent), message_ids=self.original_ids
                )
            failures = [self.failure(a, "", self.words_about(a)) for a in permanent[:MAX_ADDRESSES]]
        if not failures:
            return None
        return Returned(
            Kind.BOUNCE, failures=_unique(failures), delayed=delayed, message_ids=self.original_ids
        )

    def failure(self, address: str, status: str, diagnostic: str) -> Failure:
        if not diagnostic:
            diagnostic = self.words_about(address)
        reason, hard = classify(status, None, diagnostic)
        return Failure(
            address=address,
            status=status if status and not status.endswith(".0.0") else find_status(diagnostic) or status,
            smtp_code=find_smtp_code(diagnostic),
            diagnostic=_one_line(diagnostic)[:1000],
            reason=reason,
            hard=hard,
        )

    def delivery_status(self) -> list[tuple[str, str, str, str]]:
        """(address, action, status, diagnostic) of each recipient block of the DSN parts."""
        records = []
        for block in self.status_blocks[: MAX_ADDRESSES + 1]:
            recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
            address = _address_in(recipient.rpartition(";")[2])
            if not address:
                continue  # the per-message block
            diagnostic = _one_line(str(block.get("Diagnostic-Code", "")))
            if ";" in diagnostic[:12]:
                diagnostic = diagnostic.partition(";")[2].strip()  # "smtp; 550 …"
            status = find_status(str(block.get("Status", "")))
            action = _one_line(str(block.get("Action", ""))).lower() or (
                "failed" if status[:1] == "5" else ""
            )
            records.append((address, action, status, diagnostic))
        return records

    def heuristic_addresses(self) -> tuple[list[str], list[str]]:
        """(temporary, permanent) failed addresses of a bounce in a server's own format.

        flufl.bounce's detectors first. They drop some good addresses (a hyphen in the domain
        fails their address check) and sometimes take a forwarding hint ("please try <new@…>")
        for one, so their addresses are kept to the original's recipients where it was returned,
        and when they find none, the recipients the notice names are taken."""
        try:
            found = all_failures(self.message)
        except Exception:  # a detector that trips over a malformed message has found nothing
            found = (frozenset(), frozenset())
        temporary, permanent = (
            sorted({a.decode("ascii", "replace").strip().strip("<>").lower() for a in addresses if b"@" in a})
            for addresses in found
        )
        recipients = self.original_recipients
        if recipients:
            on_list = [a for a in temporary if a in recipients], [a for a in permanent if a in recipients]
            if any(on_list):
                return on_list
        elif temporary or permanent:
            return temporary, permanent
        named = self.named_addresses()
        if named:
            return [], named
        return temporary, permanent  # an alias or a list expanded to an address the original never named

    def named_addresses(self) -> list[str]:
        """The addresses the notice names that are neither ours nor a mail daemon's (and are the
        original's recipients, when it was returned)."""
        ours = set(_addresses(self.message, "From") + _addresses(self.message, "To"))
        for original in self.originals:
            ours.update(_addresses(original, "From") + _addresses(original, "Sender"))
        named = dict.fromkeys(a.lower() for a in ADDRESS_RE.findall(self.notice))
        named = [a for a in named if a not in ours and not DAEMON_RE.match(a)]
        recipients = self.original_recipients
        return [a for a in named if a in recipients] if recipients else named

    def is_delay_notice(self) -> bool:
        if DELAY_RE.search(self.subject):
            return True
        head = self.notice[:1500]
        return bool(DELAY_RE.search(head)) and not FINAL_RE.search(head) and not FINAL_RE.search(self.subject)

    def words_about(self, address: str) -> str:
        """The report's own words about one address: the first paragraph naming it (with the
        next one, where the reply follows the address) that quotes a server's reply code, else
        the whole notice when it quotes one (one recipient, the reply further down, as Gmail and
        Domino write), else the first paragraph naming it with words we know, else the notice."""
        notice = self.notice
        paragraphs = self.paragraphs_about(address)
        for words in paragraphs:
            if _has_code(words.replace(address, "")):
                return _one_line(words)[:1000]
        if _has_code(notice):
            return _one_line(f"{self.subject} {notice}")[:1000]
        for words in paragraphs:
            if reason_in_text(words.replace(address, "")):
                return _one_line(words)[:1000]
        return _one_line(f"{self.subject} {notice}")[:1000]

    def paragraphs_about(self, address: str) -> list[str]:
        notice = self.notice
        lowered = notice.lower()
        found = []
        at = lowered.find(address)
        for _ in range(WORDS_TRIES):
            if at < 0:
                break
            paragraphs = PARAGRAPH_RE.split(notice[at : at + WORDS_WINDOW], maxsplit=2)
            found += [paragraphs[0], " ".join(paragraphs[:2])]
            at = lowered.find(address, at + len(address))
        return found

    # --- complaints --------------------------------------------------------------------------

    def complaint(self) -> Returned | None:
        if self.content_type == "multipart/report" and self.report_type == "feedback-report":
            fields = self.feedback_fields()
            feedback_type = _one_line(str(fields.get("Feedback-Type", ""))).lower()
            if feedback_type not in FEEDBACK_COMPLAINTS:
                return NOTHING  # not-spam, auth-failure (RFC 6591): reports, not complaints
            named = fields.get_all("Original-Rcpt-To", []) + fields.get_all("Removal-Recipient", [])
            complained = [a for value in named if (a := _address_in(str(value)))]
            mail_from = _address_in(str(fields.get("Original-Mail-From", "")))
            return self.complained(complained, feedback_type or "abuse", mail_from)
        # Feedback loops that only return the message (Outlook.com JMRP and the like).
        if not (self.content_type.startswith("multipart/") and self.originals):
            return None
        # A person forwarding our message as an attachment is no complaint: the sender must be
        # a feedback loop's.
        if not FEEDBACK_SENDER_RE.match((_addresses(self.message, "From") or [""])[0]):
            return None
        if any(original.get("X-HmXmrOriginalRecipient") for original in self.originals) or (
            FEEDBACK_WORDS_RE.search(f"{self.subject}\n{self.notice}")
        ):
            return self.complained([], "abuse")
        return None

    def complained(self, complained: list[str], feedback_type: str, mail_from: str = "") -> Returned:
        for original in self.originals if not complained else []:
            # The returned message's recipient, unless the provider redacted it.
            for name in ("X-HmXmrOriginalRecipient", "X-Original-To", "Delivered-To", "To"):
                complained = [a for a in _addresses(original, name) if "redacted" not in a]
                if complained:
                    break
            if complained:
                break
        return Returned(
            Kind.COMPLAINT,
            complained=tuple(dict.fromkeys(complained)),
            feedback_type=feedback_type,
            original_mail_from=mail_from,
            message_ids=self.original_ids,
        )

    def feedback_fields(self) -> Message:
        for part in self.parts_of_type("message/feedback-report"):
            payload = part.get_payload()
            if isinstance(payload, list) and payload:
                return payload[0]
            return email.message_from_string(_part_text(part).strip())
        return Message()


def _has_code(text: str) -> bool:
    return bool(find_status(text) or find_smtp_code(text))


def _field_blocks(part: Message) -> list[Message]:
    blocks = part.get_payload()
    encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if isinstance(blocks, list) and encoding not in ("base64", "quoted-printable"):
        return blocks
    # A part the parser could not split into field groups (a transfer encoding): split it here.
    if isinstance(blocks, list):
        encoded = "\n".join(b.get_payload() for b in blocks if isinstance(b.get_payload(), str))
        text = _decode_transfer(encoded, encoding)
    else:
        text = _part_text(part)
    return [email.message_from_string(b.strip()) for b in PARAGRAPH_RE.split(text) if b.strip()]


def _decode_transfer(text: str, encoding: str) -> str:
    try:
        if encoding == "base64":
            data = base64.b64decode(text)
        else:
            data = quopri.decodestring(text.encode("ascii", "replace"))
    except (binascii.Error, ValueError):
        return ""
    return data.decode("utf-8", "replace")


def _quoted_original(text: str) -> Message | None:
    """The original's headers as a plain-text bounce quotes them after its own words."""
    cut = RETURNED_COPY_RE.search(text)
    if not cut:
        return None
    rest = text[cut.end() :].split("\n", 1)[-1].replace("\r\n", "\n")
    rest = re.sub(r"^(\s*[-=*]*\s*\n)+", "", rest)
    quoted = email.message_from_string(rest)
    return quoted if quoted.get("Message-ID") or quoted.get("From") else None


# --- reading a message ------------------------------------------------------------------------------


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except LookupError:
        return payload.decode("latin-1")


def _html_text(part: Message) -> str:
    html = _part_text(part)
    html = re.sub(r"(?is)<(script|style).*?</\1>", " ", html)
    html = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>", "\n", html)
    return re.sub(r"<[^>]+>", " ", html).replace("&nbsp;", " ").replace("&lt;", "<").replace("&gt;", ">")


def _header(message: Message, name: str) -> str:
    value = message.get(name)
    if value is None:
        return ""
    if isinstance(value, email.header.Header):
        # compat32 wraps raw 8-bit header bytes in an "unknown-8bit" Header: read them as UTF-8.
        return _one_line(
            "".join(
                _decoded(c, "utf-8" if s == "unknown-8bit" else s)
                for c, s in email.header.decode_header(value)
            )
        )
    if SURROGATE_RE.search(value):  # raw 8-bit bytes in a header, as the parser escapes them
        raw = value.encode("utf-8", "surrogateescape")
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            value = raw.decode("latin-1")
    try:
        chunks = email.header.decode_header(value)
    except (email.errors.HeaderParseError, ValueError):
        return _one_line(value)
    text = "".join(_decoded(chunk, charset) for chunk, charset in chunks)
    return _one_line(text)


def _decoded(chunk: bytes | str, charset: str | None) -> str:
    if isinstance(chunk, str):
        return chunk
    try:
        return chunk.decode(charset or "ascii")
    except (LookupError, UnicodeDecodeError):
        return chunk.decode("latin-1")


def _addresses(message: Message, name: str) -> list[str]:
    values = [str(v) for v in message.get_all(name, [])]
    return [a.strip().strip("<>").lower() for _, a in email.utils.getaddresses(values) if "@" in a]


def _address_in(text: str) -> str:
    match = ADDRESS_RE.search(text)
    return match.group(0).lower() if match else ""


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _unique(failures: list[Failure]) -> tuple[Failure, ...]:
    first: dict[str, Failure] = {}
    for failure in failures:
        first.setdefault(failure.address, failure)
    return tuple(first.values())
