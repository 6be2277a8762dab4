"""What the upper apps add to the pages of records (Company, Contact, Lead, Request, Deal).

crm knows none of them: correspondence ("Write email", the correspondence timeline) and
massmail ("Make massmail") register here in their AppConfig.ready().
"""

_list_actions = []  # (models, admin action)
_object_tools = []  # tool(record) -> (label, url, css class) or None
_panels = []  # panel(request, record) -> HTML shown below the record's form


def add_list_action(action, models):
    """An admin action on the change lists of `models` (registering it again replaces it)."""
    _list_actions[:] = [(m, a) for m, a in _list_actions if a.__name__ != action.__name__]
    _list_actions.append((tuple(models), action))


def list_actions(model):
    return [action for models, action in _list_actions if model in models]


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
