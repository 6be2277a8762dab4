"""List columns that fit a laptop's screen (1366 px): one line each, long text cut with "…"
and shown whole on hover.

A clipped value is a `<span class="clip">` with the whole text in its `title`; static/crm/crm.css
gives it a maximum width ("Lists that fit a laptop"), `short` a smaller one for countries,
owners and the like. `clipped_column` makes a list_display entry of a field or of `__str__`
that keeps the field's sorting.
"""

from django.utils.html import format_html

EMPTY = "—"


def clipped(value, short=False):
    """`value` on one line, at most the column's width; the whole of it in the tooltip."""
    text = "" if value is None else str(value)
    if not text:
        return EMPTY
    return format_html('<span class="{}" title="{}">{}</span>', "clip short" if short else "clip", text, text)


def clipped_column(name, description, ordering=None, short=False):
    """A list_display entry showing the attribute `name` (or the object, for "__str__")
    clipped, under the heading `description`, sorted by `ordering` (default: `name`)."""

    def column(obj):
        value = obj if name == "__str__" else getattr(obj, name)
        return clipped(value() if callable(value) else value, short=short)  # get_FOO_display

    # The admin names the cells' CSS class after the callable: `field-<name>`.
    column.__name__ = "name" if name == "__str__" else name
    column.short_description = description
    column.admin_order_field = ordering if ordering is not None else (None if name == "__str__" else name)
    return column


# How many of the latest notifications the badge's tooltip lists.
BADGE_LINES = 10


def notification_badge(url, total, notes):
    """A log of `total` entries as a count that links to `url`, where the whole log is: red
    when one of the latest `notes` ((level, text), newest first) is an error, which the
    tooltip lists."""
    if not total:
        return EMPTY
    latest = notes[:BADGE_LINES]
    errors = sum(1 for level, _ in latest if level == "error")
    heading = f"{errors} error{'s' if errors > 1 else ''} among the latest {len(latest)}:\n" if errors else ""
    more = f"\n… and {total - len(latest)} earlier" if total > len(latest) else ""
    tooltip = heading + "\n".join(text for _, text in latest) + more
    return format_html(
        '<a class="badge{}" href="{}" title="{}">{}</a>', " error" if errors else "", url, tooltip, total
    )
