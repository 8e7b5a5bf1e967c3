"""The catalogue's version: the newest entry of the feed's change log.

Every write to a published record (service, requirement, offering, office,
municipality) replaces that record's ``CatalogChange`` row with a new, higher
``seq`` (see ``catalog.feed``), so this number grows with every change and caches
of the catalogue (the search index) can be checked against it with one cheap query.
"""

from __future__ import annotations

from django.db.models import Max

from .models import CatalogChange


def catalog_version() -> int:
    return int(CatalogChange.objects.aggregate(version=Max("seq"))["version"] or 0)
