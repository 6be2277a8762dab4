"""Panels that upper apps add to a record's page (crm imports none of them).

A panel is `fn(record, request) -> str`: HTML (made safe by the panel, e.g. with
render_to_string) or "" for nothing to show. Apps register theirs in `AppConfig.ready()`;
massmail shows why the record's address gets no newsletters.
"""

from collections.abc import Callable

_panels: list[Callable] = []


def register_record_panel(fn: Callable) -> Callable:
    if fn not in _panels:
        _panels.append(fn)
    return fn


def record_panels(record, request) -> list[str]:
    return [html for html in (panel(record, request) for panel in _panels) if html]
