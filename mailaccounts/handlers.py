"""Handlers for fetched mail, registered by the apps above mailaccounts.

The IMAP sync reads what came back (`mailkit.returned_mail`) but does not know whose mail it
was: an upper app (massmail registers `massmail.returns.handle` in its `AppConfig.ready()`)
says whether a bounce or complaint is about mail it sent, and acts on it. mailaccounts never
imports those apps.

A handler is `fn(account, parsed, returned) -> bool`: True when the message was about mail the
app sent and has been handled (the sync then does not import it).
"""

from __future__ import annotations

from collections.abc import Callable

_handlers: list[Callable] = []


def register_fetched_mail_handler(fn: Callable) -> Callable:
    if fn not in _handlers:
        _handlers.append(fn)
    return fn


def unregister_fetched_mail_handler(fn: Callable) -> None:
    if fn in _handlers:
        _handlers.remove(fn)


def handle_fetched_mail(account, parsed, returned) -> bool:
    """Whether any registered handler took the message (each is asked until one does)."""
    return any(handler(account, parsed, returned) for handler in list(_handlers))
