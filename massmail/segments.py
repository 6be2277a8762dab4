"""Saved segments: named sets of filters over Companies, Contacts or Leads, found again each
time they are used (a live count on their page, the audience of a new mailing).

One home for "filters -> records": the Create mailing page's filters go through `filtered`
too. Engagement filters read what the mailings recorded: opens and clicks (people, not
machines) in the last N days, replies (incoming mail linked to the record, auto-replies
aside), bounces (a failed recipient row or a suppression for a hard bounce).
"""

import datetime

from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower
from django.utils import timezone

from correspondence.models import CrmEmail, TrackingEvent
from massmail.mailings import FOREIGN_KEY, recipient_types
from massmail.models import MailingRecipient, RecipientType, Suppression

MODELS = {kind: model for model, kind in recipient_types().items()}
LINK = FOREIGN_KEY
FILTER_NAMES = (
    "owner",
    "department",
    "vip",
    "country",
    "industry",
    "tags",
    "accepts_newsletters",
    "created_since",
    "opened_days",
    "clicked_days",
    "replied",
    "bounced",
)


def filters_from_form(data):
    """The filters of a cleaned form (Create mailing, a segment) as JSON-able values."""
    filters = {}
    for name in FILTER_NAMES:
        value = data.get(name)
        if value in (None, "", False) or (name == "tags" and not value):
            continue
        if name in ("owner", "department"):
            value = value.pk
        elif name == "tags":
            value = sorted(tag.pk for tag in value)
        elif name == "created_since":
            value = value.isoformat()
        filters[name] = value
    return filters


def filtered(recipient_type, filters):
    """The records of `recipient_type` that `filters` describe (before any user's scope)."""
    queryset = MODELS[recipient_type].objects.all()
    simple = {
        "owner": "owner_id",
        "department": "department_id",
        "country": "country__iexact",
        "industry": "company__industry" if recipient_type == RecipientType.CONTACTS else "industry",
    }
    for name, lookup in simple.items():
        if filters.get(name):
            value = filters[name].strip() if name == "country" else filters[name]
            queryset = queryset.filter(**{lookup: value})
    if filters.get("vip"):
        queryset = queryset.filter(is_vip=filters["vip"] == "yes")
    if filters.get("tags"):
        queryset = queryset.filter(
            pk__in=queryset.model.tags.through.objects.filter(tag_id__in=filters["tags"]).values(
                f"{LINK[recipient_type]}_id"
            )
        )
    if filters.get("accepts_newsletters"):
        queryset = queryset.filter(massmail=True)
    if filters.get("created_since"):
        queryset = queryset.filter(
            created_at__date__gte=datetime.date.fromisoformat(filters["created_since"])
        )
    link = LINK[recipient_type]
    for name, kind in (("opened_days", TrackingEvent.Kind.OPEN), ("clicked_days", TrackingEvent.Kind.CLICK)):
        if filters.get(name):
            since = timezone.now() - datetime.timedelta(days=int(filters[name]))
            events = TrackingEvent.objects.filter(
                kind=kind,
                is_machine=False,
                created_at__gte=since,
                **{f"mailing_recipient__{link}": OuterRef("pk")},
            )
            queryset = queryset.filter(Exists(events))
    if filters.get("replied"):
        replies = CrmEmail.objects.filter(
            direction=CrmEmail.Direction.INCOMING, is_auto_reply=False, **{link: OuterRef("pk")}
        )
        queryset = queryset.filter(Exists(replies))
    if filters.get("bounced"):
        failed = MailingRecipient.objects.filter(
            status=MailingRecipient.Status.FAILED, **{link: OuterRef("pk")}
        )
        hard = Suppression.objects.filter(reason=Suppression.Reason.BOUNCED, email=Lower(OuterRef("email")))
        queryset = queryset.filter(Exists(failed) | Exists(hard))
    return queryset


def segment_records(segment, user):
    """The segment's records that `user` sees, as they are now."""
    return filtered(segment.recipient_type, segment.filters).filter(
        pk__in=MODELS[segment.recipient_type].objects.visible_to(user).values("pk")
    )


def live_count(segment, user):
    return segment_records(segment, user).count()
