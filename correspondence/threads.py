"""Conversations: which thread a message belongs to, from its References and In-Reply-To."""

import re

MESSAGE_ID_RE = re.compile(r"<[^<>\s]+>")


def message_ids(header):
    """The Message-IDs named in a References or In-Reply-To header, in order."""
    return MESSAGE_ID_RE.findall(header or "")


def thread_key_for(email):
    """The Message-ID that names the conversation: the first one it refers to.

    A reply whose client dropped References still joins its parent's conversation when the
    parent is stored: the parent's key wins over the In-Reply-To it names.
    """
    refs = message_ids(email.references)
    parents = message_ids(email.in_reply_to)
    if refs:
        return refs[0]
    if parents:
        parent_key = (
            type(email)
            .objects.filter(message_id=parents[0])
            .exclude(thread_key="")
            .values_list("thread_key", flat=True)
            .first()
        )
        return parent_key or parents[0]
    return email.message_id or ""
