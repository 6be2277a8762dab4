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
    delayed: tuple[str, ...] = ()
    message_ids: tuple[str, ...] = ()  # of the original message, "<id@host>"

    @property
    def hard_failures(self) -> tuple[Failure, ...]:
        return tuple(f for f in self.failures if f.hard)

    @property
    def suppresses(self) -> bool:
        """Whether anything here suppresses an address at once (a hard bounce or a complaint)."""
        return self.kind is Kind.COMPLAINT or bool(self.hard_failures)


NOTHING = Returned(Kind.NONE)

SURROGATE_RE = re.compile("[\udc80-\udcff]")
MESSAGE_ID_RE = re.compile(r"<[^<>\s]+@[^<>\s]+>")
QUOTED_MESSAGE_ID_RE = re.compile(
    r"^[ \t>]*Message-ID:[ \t]*\n?[ \t]*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE
)
ADDRESS_RE = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
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
    r"^.*(below this line is a copy|copy of (the|your) (original )?message|original message (follows|"
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
FEEDBACK_SENDER_RE = re.compile(
    r"^(staff@hotmail\.com|scomp@aol\.net|complaints@.*amazonses\.com|fbl@|feedback@|"
    r"feedbackloop@|.*-fbl@|abuse-report@|arf@)",
    re.IGNORECASE,
)


def read_returned_mail(message: Message) -> Returned:
    """The verdict on one message; an ordinary message gives `Kind.NONE`."""
    complaint = _read_complaint(message)
    if complaint is not None:
        return complaint
    if _looks_returned(message):
        verdict = _read_bounce(message)
        if verdict is not None:
            return verdict
    if _is_auto_reply(message):
        return Returned(Kind.AUTO_REPLY, message_ids=_returned_ids(message))
    return NOTHING


# --- bounces -----------------------------------------------------------------------------------


def _looks_returned(message: Message) -> bool:
    """Whether to look for failures at all: the heuristics must never read a person's mail."""
    if message.get_content_type() == "multipart/report":
        return (message.get_param("report-type") or "").lower() in ("delivery-status", "")
    if message.get("X-Failed-Recipients"):
        return True
    sender = _addresses(message, "From")
    if sender and DAEMON_RE.match(sender[0]):
        return True
    if _header(message, "Return-Path").strip() == "<>" and not message.get("Auto-Submitted"):
        return True
    subject = _header(message, "Subject")
    return bool(BOUNCE_SUBJECT_RE.search(subject)) and not FORWARDED_RE.match(subject)


def _read_bounce(message: Message) -> Returned | None:
    ids = _returned_ids(message)
    notice = _notice_text(message)
    subject = _header(message, "Subject")
    records = _delivery_status(message)
    failures = [
        _failure(address, status, diagnostic)
        for address, action, status, diagnostic in records
        if action.startswith(("fail", "error"))
    ]  # OpenSMTPD says "error"
    delayed = tuple(a for a, action, _, _ in records if action.startswith("delayed"))
    if not failures and not delayed:
        if any(action for _, action, _, _ in records):
            return Returned(Kind.DELAY, message_ids=ids)  # delivered, relayed, expanded
        if _is_delay_notice(subject, notice):
            temporary, permanent = _heuristic_addresses(message, notice)
            return Returned(Kind.DELAY, delayed=tuple(temporary + permanent), message_ids=ids)
        temporary, permanent = _heuristic_addresses(message, notice)
        failures = [_failure(address, "", _words_about(address, notice, subject)) for address in permanent]
        if not failures and temporary:
            return Returned(Kind.DELAY, delayed=tuple(temporary), message_ids=ids)
    if not failures:
        return Returned(Kind.DELAY, delayed=delayed, message_ids=ids) if delayed else None
    return Returned(Kind.BOUNCE, failures=tuple(_unique(failures)), delayed=delayed, message_ids=ids)


def _failure(address: str, status: str, diagnostic: str) -> Failure:
    reason, hard = classify(status, None, diagnostic)
    return Failure(
        address=address,
        status=status if status and not status.endswith(".0.0") else find_status(diagnostic) or status,
        smtp_code=find_smtp_code(diagnostic),
        diagnostic=_one_line(diagnostic)[:1000],
        reason=reason,
        hard=hard,
    )


def _delivery_status(message: Message) -> list[tuple[str, str, str, str]]:
    """(address, action, status, diagnostic) of each recipient block of each DSN part."""
    records = []
    for part in _parts(message):
        if part.get_content_type() not in ("message/delivery-status", "message/global-delivery-status"):
            continue
        for block in _field_blocks(part):
            recipient = block.get("Final-Recipient") or block.get("Original-Recipient")
            if not recipient:
                continue  # the per-message block
            address = _address_in(str(recipient).rpartition(";")[2] or str(recipient))
            if not address:
                continue
            diagnostic = _one_line(str(block.get("Diagnostic-Code", "")))
            diagnostic = diagnostic.partition(";")[2].strip() if ";" in diagnostic[:12] else diagnostic
            status = find_status(str(block.get("Status", "")))
            action = _one_line(str(block.get("Action", ""))).lower() or (
                "failed" if status[:1] == "5" else ""
            )
            if action.startswith("fail") and not diagnostic:
                diagnostic = _words_about(address, _notice_text(message), "")
            records.append((address, action, status, diagnostic))
    return records


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
    return [email.message_from_string(b.strip()) for b in re.split(r"\r?\n[ \t]*\r?\n", text) if b.strip()]


def _decode_transfer(text: str, encoding: str) -> str:
    try:
        data = (
            base64.b64decode(text)
            if encoding == "base64"
            else quopri.decodestring(text.encode("ascii", "replace"))
        )
    except (binascii.Error, ValueError):
        return ""
    return data.decode("utf-8", "replace")


def _heuristic_addresses(message: Message, notice: str) -> tuple[list[str], list[str]]:
    """(temporary, permanent) failed addresses of a bounce in a server's own format.

    flufl.bounce's detectors first. They drop some good addresses (a hyphen in the domain fails
    their address check) and sometimes take a forwarding hint ("please try <new@…>") for one,
    so the addresses the notice names are kept to the original's recipients where it was
    returned, and when the detectors find nothing, those recipients the notice names are taken."""
    try:
        found = all_failures(message)
    except Exception:  # a detector that trips over a malformed message has found nothing
        found = (frozenset(), frozenset())
    temporary, permanent = (
        sorted({a.decode("ascii", "replace").strip().strip("<>").lower() for a in addresses if b"@" in a})
        for addresses in found
    )
    recipients = _original_recipients(message)
    if recipients:
        on_list = [a for a in temporary if a in recipients], [a for a in permanent if a in recipients]
        if any(on_list):
            return on_list
    elif temporary or permanent:
        return temporary, permanent
    named = _named_addresses(message, notice, recipients)
    if named:
        return [], named
    return temporary, permanent  # an alias or a list expanded to an address the original never named


def _original_recipients(message: Message) -> set[str]:
    return {
        a
        for original in _returned_messages(message)
        for a in _addresses(original, "To") + _addresses(original, "Cc")
    }


def _named_addresses(message: Message, notice: str, recipients: set[str]) -> list[str]:
    """The addresses a notice names that are neither ours nor a mail daemon's."""
    ours = set(_addresses(message, "From") + _addresses(message, "To") + _addresses(message, "Reply-To"))
    for original in _returned_messages(message):
        ours.update(
            _addresses(original, "From")
            + _addresses(original, "Sender")
            + _addresses(original, "Return-Path")
        )
    named = [a.lower() for a in ADDRESS_RE.findall(notice)]
    named = [a for a in dict.fromkeys(named) if a not in ours and not DAEMON_RE.match(a)]
    if recipients:
        return [a for a in named if a in recipients]
    return named


def _is_delay_notice(subject: str, notice: str) -> bool:
    if DELAY_RE.search(subject):
        return True
    head = notice[:1500]
    return bool(DELAY_RE.search(head)) and not FINAL_RE.search(head) and not FINAL_RE.search(subject)


def _words_about(address: str, notice: str, subject: str) -> str:
    """The bounce's own words about one address: the first paragraph naming it that says why
    (with the next paragraph when the reason follows the address), else the whole notice, as in
    Domino's "was not delivered to: … because: …"."""
    lowered = notice.lower()
    at = lowered.find(address)
    while at >= 0:
        paragraphs = re.split(r"\n[ \t]*\n", notice[at:], maxsplit=2)
        for words in (paragraphs[0], " ".join(paragraphs[:2])):
            if _says_why(words.replace(address, "")):
                return _one_line(words)[:1000]
        at = lowered.find(address, at + len(address))
    return _one_line(f"{subject} {notice}")[:1000]


def _says_why(text: str) -> bool:
    return bool(find_status(text) or find_smtp_code(text) or reason_in_text(text))


# --- complaints ---------------------------------------------------------------------------------


def _read_complaint(message: Message) -> Returned | None:
    report_type = (message.get_param("report-type") or "").lower()
    if message.get_content_type() == "multipart/report" and report_type == "feedback-report":
        fields = _feedback_fields(message)
        feedback_type = _one_line(str(fields.get("Feedback-Type", ""))).lower()
        if feedback_type not in FEEDBACK_COMPLAINTS:
            return NOTHING  # not-spam, auth-failure (RFC 6591): reports, not complaints
        complained = [
            a
            for v in fields.get_all("Original-Rcpt-To", []) + fields.get_all("Removal-Recipient", [])
            if (a := _address_in(str(v)))
        ]
        return _complaint(message, complained, feedback_type or "abuse")
    returned = _returned_messages(message)
    if returned and (
        any(r.get("X-HmXmrOriginalRecipient") for r in returned)
        or FEEDBACK_SENDER_RE.match((_addresses(message, "From") or [""])[0])
    ):
        return _complaint(message, [], "abuse")
    return None


def _complaint(message: Message, complained: list[str], feedback_type: str) -> Returned:
    if not complained:
        # The returned message's recipient, unless the provider redacted it.
        for original in _returned_messages(message):
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
        message_ids=_returned_ids(message),
    )


def _feedback_fields(message: Message) -> Message:
    for part in _parts(message):
        if part.get_content_type() == "message/feedback-report":
            payload = part.get_payload()
            if isinstance(payload, list) and payload:
                return payload[0]
            return email.message_from_string(_part_text(part).strip())
    return Message()


# --- auto-replies -------------------------------------------------------------------------------


def _is_auto_reply(message: Message) -> bool:
    auto_submitted = _header(message, "Auto-Submitted").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return True
    if message.get("X-Autoreply") or message.get("X-Autorespond") or message.get("X-Autogenerated"):
        return True
    if _header(message, "Precedence").strip().lower() == "auto_reply":
        return True
    if (message.get_param("report-type") or "").lower() == "disposition-notification":
        return True  # a read receipt (RFC 8098)
    return bool(AUTO_REPLY_SUBJECT_RE.search(_header(message, "Subject")))


# --- the original message's Message-IDs ------------------------------------------------------------


def _returned_ids(message: Message) -> tuple[str, ...]:
    ids = []
    for original in _returned_messages(message):
        ids += MESSAGE_ID_RE.findall(str(original.get("Message-ID", "")))
    for part in _parts(message):
        content_type = part.get_content_type()
        if content_type in ("message/delivery-status", "message/global-delivery-status"):
            for block in _field_blocks(part):
                ids += MESSAGE_ID_RE.findall(str(block.get("X-Original-Message-ID", "")))
        elif content_type == "text/plain":
            ids += QUOTED_MESSAGE_ID_RE.findall(_part_text(part))
    own = MESSAGE_ID_RE.findall(str(message.get("Message-ID", "")))
    return tuple(i for i in dict.fromkeys(ids) if i not in own)


def _returned_messages(message: Message) -> list[Message]:
    """The original as returned: each `message/rfc822` part, and `text/rfc822-headers` parsed."""
    found = []
    for part in _parts(message):
        content_type = part.get_content_type()
        if content_type in ("message/rfc822", "message/global"):
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else payload
            if isinstance(inner, Message):
                found.append(inner)
            elif isinstance(inner, str):
                found.append(email.message_from_string(inner))
        elif content_type in ("text/rfc822-headers", "text/global-headers"):
            found.append(email.message_from_string(_part_text(part).lstrip()))
        elif content_type == "text/plain" and part is message:
            quoted = _quoted_original(_part_text(part))
            if quoted is not None:
                found.append(quoted)
    return found


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


def _parts(message: Message):
    """Every part of the report itself, without descending into a returned message."""
    stack = [message]
    while stack:
        part = stack.pop(0)
        yield part
        if part.is_multipart() and part.get_content_maintype() == "multipart":
            stack[:0] = part.get_payload()


def _notice_text(message: Message) -> str:
    """The bounce's human-readable words: its text parts up to where the original is quoted."""
    texts = []
    for part in _parts(message):
        if part.get_content_type() == "text/plain" and not part.get_filename():
            texts.append(_part_text(part))
    if not texts:
        texts = [_html_text(part) for part in _parts(message) if part.get_content_type() == "text/html"]
    text = "\n\n".join(texts).replace("\r\n", "\n")
    cut = RETURNED_COPY_RE.search(text)
    return text[: cut.start()] if cut else text


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


def _unique(failures: list[Failure]) -> list[Failure]:
    first: dict[str, Failure] = {}
    for failure in failures:
        first.setdefault(failure.address, failure)
    return list(first.values())
