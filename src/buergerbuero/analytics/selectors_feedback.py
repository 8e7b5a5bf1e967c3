"""Reads for the citizen feedback pages: what a rating link points to, which services the survey offers."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from uuid import UUID

from django.db import connection

from buergerbuero.applications.models import Case
from buergerbuero.catalog.models import Service
from buergerbuero.catalog.selectors import availability_map
from buergerbuero.catalog.versioning import catalog_version
from buergerbuero.core.tenancy import scopes_disabled
from buergerbuero.queueing.constants import TicketState
from buergerbuero.queueing.models import Ticket
from buergerbuero.tenants.models import Municipality, Office

from .models import RatingContext, RatingReceipt
from .services.feedback import subject_hash

__all__ = ["RatingSubject", "already_rated", "clear_survey_cache", "rating_subject", "survey_services"]


@dataclass(frozen=True)
class RatingSubject:
    """A visit (a finished ticket) or an application (a case) that may be rated."""

    key: str
    context: str  #: RatingContext
    municipality: Municipality
    office: Office | None
    service: Service | None


def rating_subject(key: str) -> RatingSubject | None:
    """The visit or case behind a (verified) subject key; ``None`` if it does not exist or is not finished.

    The signed link is the citizen's proof, so this reads across municipalities, visibly.
    """
    kind, _sep, raw = key.partition(":")
    public_id = UUID(raw)
    with scopes_disabled():
        if kind == "ticket":
            ticket = (
                Ticket.objects.select_related("office__municipality", "service")
                .filter(public_id=public_id, state=TicketState.DONE)
                .first()
            )
            if ticket is None:
                return None
            return RatingSubject(key, RatingContext.VISIT, ticket.office.municipality, ticket.office, ticket.service)
        if kind == "case":
            case = Case.objects.select_related("municipality", "service").filter(public_id=public_id).first()
            if case is None:
                return None
            return RatingSubject(key, RatingContext.APPLICATION, case.municipality, None, case.service)
    return None


def already_rated(key: str) -> bool:
    return RatingReceipt.objects.filter(key_hash=subject_hash(key)).exists()


@dataclass(frozen=True)
class SurveyGaps:
    """For one catalogue version: the services not online, per town (``None``: in no town of the Kreis)."""

    version: int
    not_online: dict[int | None, tuple[Service, ...]]


_survey_lock = threading.Lock()
_survey_cache: list[SurveyGaps] = []  # at most one: the newest version this process has built


def survey_services(municipality: Municipality | None) -> list[Service]:
    """Services that are not online in ``municipality`` (with ``None``: in no town of the Kreis), by name.

    The survey box is on the portal's home and every town page, so the availability map behind it is
    built once per catalogue version and process, like the search index (``catalog.selectors.search_catalog``):
    one query checks the version, and any change to a service, offering or town makes a new one.
    """
    gaps = _survey_gaps()
    key = municipality.pk if municipality is not None else None
    return list(gaps.not_online.get(key, gaps.not_online[None]))


def _survey_gaps() -> SurveyGaps:
    version = catalog_version()
    if _survey_cache and _survey_cache[0].version == version:
        return _survey_cache[0]
    with _survey_lock:
        if _survey_cache and _survey_cache[0].version == version:
            return _survey_cache[0]
        built = _build_survey_gaps(version)
        if not connection.in_atomic_block:  # rows of a transaction may be rolled back, its version used again
            _survey_cache[:] = [built]
        return built


def _build_survey_gaps(version: int) -> SurveyGaps:
    with scopes_disabled():  # public data of every town; the cache must not depend on the caller's scope
        gaps = availability_map()
    not_online: dict[int | None, tuple[Service, ...]] = {
        None: tuple(row.service for row in gaps.rows if not any(cell.online for cell in row.cells))
    }
    for index, column in enumerate(gaps.columns):
        not_online[column.pk] = tuple(row.service for row in gaps.rows if not row.cells[index].online)
    return SurveyGaps(version, not_online)


def clear_survey_cache() -> None:
    """Forget the cached survey services (tests; the version check makes it unnecessary otherwise)."""
    with _survey_lock:
        _survey_cache.clear()
