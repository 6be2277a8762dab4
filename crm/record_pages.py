"""What the upper apps add to the pages of records (Company, Contact, Lead, Request, Deal).

crm knows none of them: correspondence ("Write email", the correspondence timeline and its
one-to-one mail) and massmail ("Make massmail", the mailings a record received) register here
in their AppConfig.ready().
"""

from dataclasses import dataclass
from datetime import datetime

_list_actions = []  # (models, admin action, permission the user needs or None)
_object_tools = []  # tool(record) -> (label, url, css class) or None
_panels = []  # panel(request, record) -> HTML shown below the record's form
_timeline_sources = []  # source(request, record, limit) -> [TimelineEntry], newest first


def add_list_action(action, models, permission=None):
    """An admin action on the change lists of `models` (registering it again replaces it),
    offered only to users who have `permission` ("app.codename") when one is given."""
    _list_actions[:] = [entry for entry in _list_actions if entry[1].__name__ != action.__name__]
    _list_actions.append((tuple(models), action, permission))


def list_actions(model):
    return [action for models, action, _ in _list_actions if model in models]


def refused_list_actions(model, user):
    """Names of the registered actions of `model` that `user` may not use."""
    return [
        action.__name__
        for models, action, permission in _list_actions
        if model in models and permission is not None and not user.has_perm(permission)
    ]


def add_object_tool(tool):
    if tool not in _object_tools:
        _object_tools.append(tool)


def object_tools(record):
    return [link for tool in _object_tools if (link := tool(record)) is not None]


def add_panel(panel):
    if panel not in _panels:
        _panels.append(panel)


def panels(request, record):
    return [panel(request, record) for panel in _panels]


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a record's correspondence timeline: an email, a mailing received, ...

    `template` renders its table row with `item` in the context; `when` orders the lines
    (None: not happened yet, as a scheduled email, and listed first)."""

    when: datetime | None
    template: str
    item: object


def add_timeline_source(source):
    if source not in _timeline_sources:
        _timeline_sources.append(source)


def timeline(request, record, limit=100):
    """The lines every source gives for the record, newest first: at most `limit` in all.
    Each source scopes its lines to what request.user may see."""
    entries = [entry for source in _timeline_sources for entry in source(request, record, limit)]
    entries.sort(key=lambda entry: (entry.when is None, entry.when or datetime.min), reverse=True)
    return entries[:limit]
