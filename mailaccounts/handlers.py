"""Handlers for fetched mail, registered by the apps above mailaccounts.

The IMAP sync fetches and parses mail and reads what came back (`mailkit.returned_mail`);
what a message means is decided by the apps above, which register here in their
`AppConfig.ready()` (mailaccounts never imports them):

- a `MailHandler` names, per chunk of headers, the messages it wants whole, and deals with
  each fetched message in `order` until one is done with it (correspondence stores and
  links mail, correspondence/importing.py);
- a returned-mail handler, `fn(account, parsed, returned) -> bool`, says whether a bounce or
  complaint is about mail its app sent and acts on it (massmail registers
  `massmail.returns.handle`); True means handled (the sync then does not import it).
"""

from __future__ import annotations

from collections.abc import Callable

_handlers: list[MailHandler] = []
_returned_handlers: list[Callable] = []


class MailHandler:
    """The base of a handler; a handler overrides what it needs."""

    order = 100

    def body_marker(self, account) -> str | None:
        """Text to find by `UID SEARCH BODY` in new mail (its UIDs reach `wanted`)."""
        return None

    def wanted(self, headers: dict, progress, outgoing: bool, body_hits: set) -> set:
        """The UIDs, among `headers` ({uid: ParsedMessage of the headers}), to fetch whole."""
        return set()

    def batch(self, messages, account):
        """Lookups for a batch of whole messages [(uid, ParsedMessage)], passed to `handle`."""
        return None

    def handle(self, account, folder, uid, parsed, outgoing, progress, batch) -> bool:
        """Deal with one message; True when the next handlers must not see it."""
        return False

    def forget_uids(self, account, folder_name) -> None:
        """The folder's UIDVALIDITY changed: UIDs stored for it mean nothing now."""


def register_handler(handler: MailHandler) -> None:
    """One handler of each class (an app registering twice replaces its first one)."""
    _handlers[:] = sorted(
        [h for h in _handlers if type(h) is not type(handler)] + [handler], key=lambda h: h.order
    )


def registered() -> list[MailHandler]:
    return list(_handlers)


def register_fetched_mail_handler(fn: Callable) -> Callable:
    if fn not in _returned_handlers:
        _returned_handlers.append(fn)
    return fn


def unregister_fetched_mail_handler(fn: Callable) -> None:
    if fn in _returned_handlers:
        _returned_handlers.remove(fn)


def handle_fetched_mail(account, parsed, returned) -> bool:
    """Whether any registered handler took the returned mail (each is asked until one does)."""
    return any(handler(account, parsed, returned) for handler in list(_returned_handlers))
