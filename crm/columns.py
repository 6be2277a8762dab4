"""List columns that fit a laptop's screen (1366 px): one line each, long text cut with "…"
and shown whole on hover.

A clipped value is a `<span class="clip">` with the whole text in its `title`; static/crm/crm.css
gives it a maximum width ("Lists that fit a laptop"), `short` a smaller one for countries,
owners and the like. `clipped_column` makes a list_display entry of a field or of `__str__`
that keeps the field's sorting.
"""

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.html import format_html

from crm.models import LogEntry

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


def count_of(rows, group_by):
    """The number of `rows` (a queryset filtered on an OuterRef, grouped by the field
    `group_by` that the OuterRef matches) as an annotation: one correlated subquery, 0 for none."""
    counted = rows.order_by().values(group_by).annotate(n=Count("id")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_latest_notes(queryset, log_model, owner_field):
    """`queryset` with what notification_badge shows of each row's log (a LogEntry model whose
    `owner_field` points at the row, related name "notifications"): `notification_count` in one
    subquery, the latest BADGE_LINES as `recent_notifications` in one prefetch."""
    latest = log_model.objects.order_by("-created_at")[:BADGE_LINES]
    return queryset.annotate(
        notification_count=count_of(log_model.objects.filter(**{owner_field: OuterRef("pk")}), owner_field)
    ).prefetch_related(Prefetch("notifications", queryset=latest, to_attr="recent_notifications"))


def notification_badge(url, obj):
    """`obj`'s log (read by with_latest_notes) as a count that links to `url`, where the whole
    log is: red when one of the latest is an error, which the tooltip lists."""
    total, latest = obj.notification_count, obj.recent_notifications
    if not total:
        return EMPTY
    errors = sum(1 for note in latest if note.level == LogEntry.Level.ERROR)
    heading = f"{errors} error{'s' if errors > 1 else ''} among the latest {len(latest)}:\n" if errors else ""
    lines = (f"{timezone.localtime(note.created_at):%d.%m %H:%M} {note.text}" for note in latest)
    more = f"\n… and {total - len(latest)} earlier" if total > len(latest) else ""
    tooltip = heading + "\n".join(lines) + more
    return format_html(
        '<a class="badge{}" href="{}" title="{}">{}</a>', " error" if errors else "", url, tooltip, total
    )
