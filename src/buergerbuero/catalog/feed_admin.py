"""The admin of the catalogue feed's sources, registered from ``CatalogConfig.ready()``.

Kept apart from ``catalog/admin.py`` (the catalogue's own admin) so both can grow
independently; registered only if nothing else registered ``FeedSource`` first.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import FeedSource, ImportedRecord


class FeedSourceAdmin(admin.ModelAdmin[FeedSource]):
    list_display = ["name", "url", "last_synced_at", "has_error"]
    readonly_fields = ["cursor", "last_synced_at", "last_error"]
    search_fields = ["name", "url"]

    @admin.display(boolean=True, description=_("error"))
    def has_error(self, source: FeedSource) -> bool:
        return bool(source.last_error)


class ImportedRecordAdmin(admin.ModelAdmin[ImportedRecord]):
    list_display = ["source", "kind", "remote_id", "local_id"]
    list_filter = ["source", "kind"]
    search_fields = ["remote_id"]


if not admin.site.is_registered(FeedSource):
    admin.site.register(FeedSource, FeedSourceAdmin)
if not admin.site.is_registered(ImportedRecord):
    admin.site.register(ImportedRecord, ImportedRecordAdmin)
