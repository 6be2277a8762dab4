"""Usage statistics of an account: messages sent per day, for the chart on its page."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from mailaccounts.accounts import local_today

CHART_WIDTH, CHART_HEIGHT, BAR_GAP = 300, 60, 2


@dataclass(frozen=True)
class Day:
    day: date
    mailing: int
    direct: int

    @property
    def total(self) -> int:
        return self.mailing + self.direct


# What went out through an account is known to the apps that send: each registers a
# counter in its AppConfig.ready() (massmail: "mailing", correspondence: "direct"):
# counter(account, first_day, tz) -> {day: messages sent that day}.
_counters = {}


def register_counter(kind, counter):
    _counters[kind] = counter


def _count(kind, account, first, tz):
    counter = _counters.get(kind)
    return counter(account, first, tz) if counter else {}


def sent_per_day(account, days: int = 30, today: date | None = None) -> list[Day]:
    """One entry per day of the last ``days`` (oldest first): mailing messages and one-to-one mail."""
    today = today or local_today()
    first = today - timedelta(days=days - 1)
    tz = timezone.get_current_timezone()
    mailing, direct = (_count(kind, account, first, tz) for kind in ("mailing", "direct"))
    return [
        Day(d, mailing.get(d, 0), direct.get(d, 0)) for d in (first + timedelta(days=i) for i in range(days))
    ]


def chart_bars(days: list[Day]) -> dict:
    """Geometry of a small SVG bar chart (the template draws it)."""
    peak = max((d.total for d in days), default=0) or 1
    width = CHART_WIDTH / max(len(days), 1)
    bars = []
    for index, d in enumerate(days):
        height = round(CHART_HEIGHT * d.total / peak, 1)
        bars.append(
            {
                "x": round(index * width, 1),
                "y": round(CHART_HEIGHT - height, 1),
                "width": round(width - BAR_GAP, 1),
                "height": height,
                "day": d,
            }
        )
    return {
        "bars": bars,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "peak": peak if any(d.total for d in days) else 0,
        "total": sum(d.total for d in days),
    }
