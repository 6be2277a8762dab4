"""Short random tickets that tie correspondence to a Request or a Deal."""

import re
import secrets

# No 0/o, 1/l/i: a ticket is sometimes read aloud or retyped from a printed email.
TICKET_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
TICKET_LENGTH = 10
TICKET_RE = re.compile(rf"\[ticket:([{TICKET_ALPHABET}]{{{TICKET_LENGTH}}})\]", re.IGNORECASE)


def new_ticket():
    return "".join(secrets.choice(TICKET_ALPHABET) for _ in range(TICKET_LENGTH))


def subject_with_ticket(subject, ticket):
    tag = f"[ticket:{ticket}]"
    return subject if tag in subject else f"{subject} {tag}".strip()


def find_tickets(text):
    """Every ticket named in a text, lower-cased, in order of appearance."""
    return [m.lower() for m in TICKET_RE.findall(text or "")]
