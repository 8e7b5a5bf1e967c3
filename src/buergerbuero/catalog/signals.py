"""Change data capture for the catalogue feed: every write of a published record lands in its change log.

Why signals and not calls in ``catalog.services``: the feed must see *every* write
path — the services, the Django admin, the content importer, the demo loader, a
shell session — and a feed that misses one write silently diverges for every portal
that imports it. ``post_save``/``post_delete``/``m2m_changed`` fire for all of them,
inside the writer's transaction, so the log row commits (or rolls back) together
with the write. What signals cannot see is documented in docs/catalog-feed.md:
``QuerySet.update()`` and ``bulk_create()``; call ``catalog.feed.backfill()`` or
write through the models after those.

A change to a part of a record is a change of the record: opening hours → their
office; requirements, categories and life situations → the service; offices,
served municipalities and service hours → the offering. Handlers run with
``scopes_disabled()``: they may fire from tenant-scoped code (a clerk's request)
and still need the whole record. Deleting a category, an office or a municipality
removes rows of auto-created M2M tables without any signal, so their ``pre_delete``
records the records that lose the link.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver

from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.tenants.models import Municipality, Office, OpeningHours

from .constants import FeedKind
from .feed import is_published, record_change
from .models import Category, DocumentRequirement, LifeSituation, OfferingHours, Service, ServiceOffering

_KINDS: dict[type[models.Model], str] = {
    Municipality: FeedKind.MUNICIPALITY,
    Office: FeedKind.OFFICE,
    Service: FeedKind.SERVICE,
    ServiceOffering: FeedKind.OFFERING,
}


def _changed(instance: models.Model, *, deleted: bool = False) -> None:
    kind = _KINDS[type(instance)]
    with scopes_disabled():
        if is_published(kind, instance):
            record_change(kind, instance.public_id, deleted=deleted)  # type: ignore[attr-defined]


def _changed_by_pk(model: type[models.Model], pks: Any) -> None:
    """Record the records of ``model`` with these primary keys (those that still exist)."""
    with scopes_disabled():
        for instance in model._base_manager.filter(pk__in=list(pks)):
            _changed(instance)


# --- the records themselves -----------------------------------------------------------


@receiver(post_save, sender=Municipality, dispatch_uid="feed_municipality_saved")
@receiver(post_save, sender=Office, dispatch_uid="feed_office_saved")
@receiver(post_save, sender=Service, dispatch_uid="feed_service_saved")
@receiver(post_save, sender=ServiceOffering, dispatch_uid="feed_offering_saved")
def record_saved(sender: type[models.Model], instance: models.Model, raw: bool = False, **kwargs: Any) -> None:
    if not raw:  # fixtures loaded with loaddata are not edits
        _changed(instance)


@receiver(post_delete, sender=Municipality, dispatch_uid="feed_municipality_deleted")
@receiver(post_delete, sender=Office, dispatch_uid="feed_office_deleted")
@receiver(post_delete, sender=Service, dispatch_uid="feed_service_deleted")
@receiver(post_delete, sender=ServiceOffering, dispatch_uid="feed_offering_deleted")
def record_deleted(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    _changed(instance, deleted=True)


# --- parts of records -------------------------------------------------------------------


@receiver(post_save, sender=OpeningHours, dispatch_uid="feed_opening_hours_saved")
@receiver(post_delete, sender=OpeningHours, dispatch_uid="feed_opening_hours_deleted")
def opening_hours_changed(sender: type[models.Model], instance: OpeningHours, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        _changed_by_pk(Office, [instance.office_id])


@receiver(post_save, sender=DocumentRequirement, dispatch_uid="feed_requirement_saved")
@receiver(post_delete, sender=DocumentRequirement, dispatch_uid="feed_requirement_deleted")
def requirement_changed(
    sender: type[models.Model], instance: DocumentRequirement, raw: bool = False, **kwargs: Any
) -> None:
    if not raw:
        _changed_by_pk(Service, [instance.service_id])


@receiver(post_save, sender=OfferingHours, dispatch_uid="feed_offering_hours_saved")
@receiver(post_delete, sender=OfferingHours, dispatch_uid="feed_offering_hours_deleted")
def offering_hours_changed(
    sender: type[models.Model], instance: OfferingHours, raw: bool = False, **kwargs: Any
) -> None:
    if not raw:
        _changed_by_pk(ServiceOffering, [instance.offering_id])


@receiver(post_save, sender=Category, dispatch_uid="feed_category_saved")
@receiver(post_save, sender=LifeSituation, dispatch_uid="feed_life_situation_saved")
@receiver(pre_delete, sender=Category, dispatch_uid="feed_category_deleted")
@receiver(pre_delete, sender=LifeSituation, dispatch_uid="feed_life_situation_deleted")
def grouping_changed(
    sender: type[models.Model], instance: Category | LifeSituation, raw: bool = False, **kwargs: Any
) -> None:
    """Services carry their categories' and life situations' names, so a rename or removal changes them."""
    if not raw:
        _changed_by_pk(Service, instance.services.values_list("pk", flat=True))


@receiver(pre_delete, sender=Office, dispatch_uid="feed_office_leaves_offerings")
def office_leaves_offerings(sender: type[models.Model], instance: Office, **kwargs: Any) -> None:
    with scopes_disabled():
        _changed_by_pk(ServiceOffering, instance.offerings.values_list("pk", flat=True))


@receiver(pre_delete, sender=Municipality, dispatch_uid="feed_municipality_leaves_offerings")
def municipality_leaves_offerings(sender: type[models.Model], instance: Municipality, **kwargs: Any) -> None:
    with scopes_disabled():
        served = ServiceOffering.objects.filter(serves=instance).exclude(municipality=instance)
        _changed_by_pk(ServiceOffering, served.values_list("pk", flat=True))


# --- many-to-many links ------------------------------------------------------------------


def _m2m_changed(
    owner: type[models.Model],
    instance: models.Model,
    action: str,
    reverse: bool,
    pk_set: set[Any] | None,
    members: Any,
) -> None:
    """``owner`` holds the M2M field; on the reverse side ``instance`` is the other end."""
    if not reverse:
        if action in {"post_add", "post_remove", "post_clear"}:
            _changed(instance)
    elif action in {"post_add", "post_remove"} and pk_set:
        _changed_by_pk(owner, pk_set)
    elif action == "pre_clear":
        _changed_by_pk(owner, members().values_list("pk", flat=True))


@receiver(m2m_changed, sender=Service.categories.through, dispatch_uid="feed_service_categories")
def service_categories_changed(instance: models.Model, action: str, reverse: bool, pk_set: Any, **kwargs: Any) -> None:
    _m2m_changed(Service, instance, action, reverse, pk_set, lambda: instance.services.all())  # type: ignore[attr-defined]


@receiver(m2m_changed, sender=Service.life_situations.through, dispatch_uid="feed_service_life_situations")
def service_life_situations_changed(
    instance: models.Model, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    _m2m_changed(Service, instance, action, reverse, pk_set, lambda: instance.services.all())  # type: ignore[attr-defined]


@receiver(m2m_changed, sender=ServiceOffering.offices.through, dispatch_uid="feed_offering_offices")
def offering_offices_changed(instance: models.Model, action: str, reverse: bool, pk_set: Any, **kwargs: Any) -> None:
    with scopes_disabled():
        _m2m_changed(
            ServiceOffering,
            instance,
            action,
            reverse,
            pk_set,
            lambda: instance.offerings.all(),  # type: ignore[attr-defined]
        )


@receiver(m2m_changed, sender=ServiceOffering.serves.through, dispatch_uid="feed_offering_serves")
def offering_serves_changed(instance: models.Model, action: str, reverse: bool, pk_set: Any, **kwargs: Any) -> None:
    with scopes_disabled():
        _m2m_changed(
            ServiceOffering,
            instance,
            action,
            reverse,
            pk_set,
            lambda: instance.served_by.all(),  # type: ignore[attr-defined]
        )
