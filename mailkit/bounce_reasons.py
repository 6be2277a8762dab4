"""Why a delivery failed, and whether that failure is for good.

`classify(status, smtp_code, text)` reads the enhanced status code (RFC 3463), the SMTP reply
code and the diagnostic text of one failed recipient. A `5.x.x` is not taken as permanent on
its own: receivers answer `5.7.1` for a blocked IP, a spam verdict or a policy, `5.2.2` for a
full mailbox, `5.3.4` for a big message, and the address is good in all of them. Only a hard
reason (the address or its domain does not exist, or has moved) suppresses at once; every
temporary (`4.x.x`) failure is soft whatever its text says.

The text is read first, since it is the most specific thing a server says; the tables below are
ordered: reputation and content verdicts before "address rejected", because receivers wrap
blocks in "Recipient address rejected: …" too. The status code decides when the text says
nothing we know, then the bare SMTP code.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Reason(StrEnum):
    """Like Django's TextChoices: `.value` is stored, `.label` is shown."""

    USER_UNKNOWN = "user_unknown"
    DISABLED = "disabled"
    HOST_UNKNOWN = "host_unknown"
    NO_SUCH_DOMAIN = "no_such_domain"
    MOVED = "moved"
    MAILBOX_FULL = "mailbox_full"
    BLOCKED = "blocked"
    FILTERED = "filtered"
    SPAM = "spam"
    POLICY = "policy"
    EXPIRED = "expired"
    TOO_LARGE = "too_large"
    RATE_LIMITED = "rate_limited"
    OTHER = "other"

    @property
    def label(self) -> str:
        return LABELS[self]

    @property
    def hard(self) -> bool:
        return self in HARD_REASONS

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(reason.value, reason.label) for reason in cls]


LABELS = {
    Reason.USER_UNKNOWN: "No such user",
    Reason.DISABLED: "Mailbox disabled",
    Reason.HOST_UNKNOWN: "Host unknown",
    Reason.NO_SUCH_DOMAIN: "No such domain",
    Reason.MOVED: "Address has moved",
    Reason.MAILBOX_FULL: "Mailbox full",
    Reason.BLOCKED: "Sender blocked",
    Reason.FILTERED: "Content filtered",
    Reason.SPAM: "Rejected as spam",
    Reason.POLICY: "Refused by policy",
    Reason.EXPIRED: "Delivery expired",
    Reason.TOO_LARGE: "Message too large",
    Reason.RATE_LIMITED: "Rate limited",
    Reason.OTHER: "Other failure",
}

HARD_REASONS = frozenset(
    {Reason.USER_UNKNOWN, Reason.DISABLED, Reason.HOST_UNKNOWN, Reason.NO_SUCH_DOMAIN, Reason.MOVED}
)

# An enhanced status code, not a piece of an IP address or a version number.
STATUS_RE = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d]|\.\d)")
# An SMTP reply code where a reply starts: a line's start, or after "said:", "smtp;", "#", "<<<",
# "returned '" and the like; never a number inside a sentence ("after 550 seconds").
SMTP_CODE_RE = re.compile(r"(?:^|[:;'#(<>])[ \t]*#?([245]\d\d)(?=[ -]\S|\s*$)", re.MULTILINE)


def _table(*rows: tuple[str, Reason]) -> list[tuple[re.Pattern, Reason]]:
    # Matched against lower-cased text: much faster than re.IGNORECASE on long alternations.
    return [(re.compile(pattern), reason) for pattern, reason in rows]


# Read top to bottom; the first match wins.
TEXT_PATTERNS = _table(
    # Microsoft's directory-based edge blocking: the recipient is not in the directory.
    (r"5\.4\.1\b.{0,40}recipient address rejected: access denied", Reason.USER_UNKNOWN),
    # About our sender, not the recipient: our configuration, never the address's fault.
    (
        r"sender (address|domain)\b[^.]{0,30}(rejected|not found|does not exist|invalid)|"
        r"sender verify failed|verification failed for|unverified sender|\bsender rejected|reverse (dns|lookup)|\bptr record|\brdns\b|"
        r"cannot find your (hostname|reverse)|bad outbound sender",
        Reason.POLICY,
    ),
    # The sending IP or domain has a bad reputation or is on a block list.
    (
        r"\b(rbl|dnsbl|blacklist(ed)?|blocklist(ed)?|block ?list|denylist(ed)?)\b|blocked using|"
        r"(?<!not )listed (at|in|on|by)\b|spamhaus|spamcop|\bsorbs\b|barracuda ?reputation|reputation|"
        r"permanently deferred|banned sending ip|"
        r"traffic not accepted from this ip|poor sending",
        Reason.BLOCKED,
    ),
    (
        r"\bspam\b|unsolicited|\buce\b|junk ?mail|bulk mail|looks like spam|spam score|"
        r"suspicion of spam|high probability of spam",
        Reason.SPAM,
    ),
    (
        r"\bvirus|malware|infected|attachment|content (filter|restriction|rejected)|"
        r"(unacceptable|prohibited|forbidden|inappropriate) content|message content|"
        r"content was rejected|phishing|filtered|banned content",
        Reason.FILTERED,
    ),
    (
        r"rate (that prevents|limit)|rate-limit|too many (connections|messages|recipients|"
        r"concurrent)|try (again )?later|unexpected volume|throttl|receiving mail (at|too)|"
        r"(temporarily )?deferred due to|exceeded (the )?(max(imum)?|allowed) (number of )?"
        r"(connections|messages)|too fast|too much mail",
        Reason.RATE_LIMITED,
    ),
    (
        r"mailbox (is )?full|over ?quota|quota (exceeded|full)|exceed(ed|s)? (the |his |her )?"
        r"(storage|quota|mailbox)|insufficient (disk )?(space|storage) (for|in) (the )?"
        r"(user|mailbox)|mailfolder is over|mailbox size limit|storage allocation|"
        r"quotaexceeded|mail ?file is full|ящик переполнен|postfach (ist )?voll",
        Reason.MAILBOX_FULL,
    ),
    (
        r"(message|mail) (size |is )?(too (big|large)|exceeds)|size (limit|exceeds)|"
        r"too large|maxsizeerror|recipsizelimit|message length exceeds",
        Reason.TOO_LARGE,
    ),
    (
        r"\bspf\b|\bdkim\b|\bdmarc\b|unauthenticated|authentication (checks|required)|"
        r"authrequired|relay(ing)? (access )?(denied|not (allowed|permitted))|not permitted to relay|"
        r"unable to relay|greylist|graylist|\btls\b|delivery (to this address )?is restricted|"
        r"not authori[sz]ed|policy|sender denied|restricted",
        Reason.POLICY,
    ),
    (
        r"(queue|queued) too long|message expired|delivery (time )?expired|"
        r"retry time(out)? (not reached|exceeded)|has been in the queue too long|"
        r"too old|giving up after|delivery attempts? (timed out|have failed for)",
        Reason.EXPIRED,
    ),
    (
        r"null mx|unrouteable mail domain|no such domain|non-?existent domain|domainnonexistent|"
        r"domain [\w.-]+ does not exist|domain (name )?(not found|does not exist|"
        r"unknown)|nxdomain|unknown domain|domain (is )?(invalid|not exist)",
        Reason.NO_SUCH_DOMAIN,
    ),
    (
        r"host unknown|unknown host|host not found|couldn't find any host|"
        r"could not find any host|no (mx|mail exchanger)|unable to route|no route (found )?to domain|"
        r"host or domain name not found|name service error",
        Reason.HOST_UNKNOWN,
    ),
    (r"has moved|mailbox moved|user not local|no forwarding address", Reason.MOVED),
    (
        r"\b(is|been|was) (disabled|deactivated|suspended|discontinued)|disabled ?user|"
        r"mailbox disabled|account (is )?(disabled|inactive)|inactive (account|mailbox)",
        Reason.DISABLED,
    ),
    (
        r"user ?unknown|unknown (user|recipient|local[ -]?part|mailbox|address)|no such (user|recipient|"
        r"mailbox|address|account|person)|(user|recipient|mailbox|address|account) "
        r"(does not|doesn't|did not) exist|does not exist|doesn't exist|"
        r"(user|recipient|mailbox|address|account) (not found|unknown|invalid)|"
        r"invalid (recipient|mailbox|user|address)|recipient ?not ?found|recipnotfound|"
        r"not listed in (the )?(domino |public name & address book|directory)|"
        r"no mailbox here|unrouteable address|unroutable|doesn't have a [\w.]+ account|"
        r"address (is )?(unknown|invalid)|address (couldn't|could not|cannot) be found|"
        r"mailbox not found|no longer (accepts|receives|valid|available)|"
        r"not our customer|bad destination mailbox|user not found|no such local user|"
        r"not a valid (mailbox|recipient|address)|пользователь не найден|нет такого",
        Reason.USER_UNKNOWN,
    ),
    # Words that refuse without saying why: a block or a policy.
    (
        r"\bblocked\b|\bdenied\b|(?<!connection )refused\b|prohibit|administrative|not allowed|banned|"
        r"rejected for policy",
        Reason.BLOCKED,
    ),
)

# Words that say the address was refused, and mean "no such user" unless the status code says the
# refusal was a policy one (5.7.x): "Recipient address rejected", "mailbox unavailable".
VAGUE_USER_UNKNOWN = re.compile(r"address (is )?rejected|mailbox (is )?unavailable|recipient rejected")

# (subject, detail) of RFC 3463 codes; checked with the detail first, then the subject alone.
STATUS_REASONS = {
    "1.0": Reason.OTHER,
    "1.1": Reason.USER_UNKNOWN,
    "1.2": Reason.HOST_UNKNOWN,
    "1.3": Reason.USER_UNKNOWN,
    "1.6": Reason.MOVED,
    "1.10": Reason.USER_UNKNOWN,
    "2.1": Reason.DISABLED,
    "2.2": Reason.MAILBOX_FULL,
    "2.3": Reason.TOO_LARGE,
    "3.4": Reason.TOO_LARGE,
    "4.4": Reason.HOST_UNKNOWN,
    "4.7": Reason.EXPIRED,
    "7.1": Reason.POLICY,
    "2": Reason.OTHER,
    "3": Reason.OTHER,
    "4": Reason.OTHER,
    "5": Reason.OTHER,
    "6": Reason.FILTERED,
    "7": Reason.POLICY,
}

SMTP_REASONS = {
    "421": Reason.RATE_LIMITED,
    "422": Reason.MAILBOX_FULL,
    "452": Reason.MAILBOX_FULL,
    "522": Reason.MAILBOX_FULL,
    "551": Reason.MOVED,
    "552": Reason.MAILBOX_FULL,
}


def find_status(text: str) -> str:
    """The first enhanced status code in `text` ("5.1.1"), or ""."""
    match = STATUS_RE.search(text or "")
    return ".".join(match.groups()) if match else ""


def find_smtp_code(text: str) -> str:
    match = SMTP_CODE_RE.search(text or "")
    return match.group(1) if match else ""


def classify(status: str, smtp_code: str | int | None, text: str) -> tuple[Reason, bool]:
    """(reason, hard) for one failed recipient.

    `status` is the DSN's Status ("5.1.1", "" when unknown), `smtp_code` the SMTP reply code
    (550; found in `text` when not given), `text` the diagnostic or the bounce's own words."""
    text = text or ""
    status = (status or "").strip()
    if not STATUS_RE.fullmatch(status) or status.endswith(".0.0"):
        # A generic or missing Status: the diagnostic often names the precise one.
        status = find_status(text) or status
    smtp_code = str(smtp_code or "") or find_smtp_code(text)
    temporary = status.startswith("4") if status else smtp_code.startswith("4")
    reason = (
        reason_in_text(text) or _vague_user_unknown(text, status) or _reason_from_codes(status, smtp_code)
    )
    if temporary and reason is Reason.OTHER and status[2:] in ("4.1", "4.2", "4.7", "0.0"):
        reason = Reason.EXPIRED  # a failure after retries that never got an answer
    return reason, reason.hard and not temporary


def reason_in_text(text: str) -> Reason | None:
    """The reason the words of a reply or notice name, or None when they name none we know."""
    text = text.lower()
    for pattern, reason in TEXT_PATTERNS:
        if pattern.search(text):
            return reason
    return None


def _vague_user_unknown(text: str, status: str) -> Reason | None:
    if status[2:4] != "7." and VAGUE_USER_UNKNOWN.search(text.lower()):
        return Reason.USER_UNKNOWN
    return None


def _reason_from_codes(status: str, smtp_code: str) -> Reason:
    if status:
        _, subject, detail = status.split(".")
        reason = STATUS_REASONS.get(f"{subject}.{detail}") or STATUS_REASONS.get(subject)
        if reason:
            return reason
    return SMTP_REASONS.get(smtp_code, Reason.OTHER)
