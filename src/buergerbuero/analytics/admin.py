"""Django admin for the analytics tables: standard times are configured here; the rest is read-only data."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import ChecklistUse, ForecastSlot, Rating, StandardTime, SurveyVote


@admin.register(StandardTime)
class StandardTimeAdmin(admin.ModelAdmin[StandardTime]):
    list_display = ("service", "district", "on_site_minutes", "online_minutes")
    list_filter = ("district",)
    search_fields = ("service__name_de", "service__leika_key")
    autocomplete_fields = ("service",)


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Figures collected by the application: visible for checks, never edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ChecklistUse)
class ChecklistUseAdmin(ReadOnlyAdmin):
    list_display = ("day", "municipality", "service", "count")
    list_filter = ("municipality",)
    date_hierarchy = "day"


@admin.register(SurveyVote)
class SurveyVoteAdmin(ReadOnlyAdmin):
    list_display = ("day", "municipality", "service", "suggestion")
    list_filter = ("municipality",)
    date_hierarchy = "day"


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = ("day", "municipality", "office", "service", "context", "stars")
    list_filter = ("context", "stars")
    date_hierarchy = "day"


@admin.register(ForecastSlot)
class ForecastSlotAdmin(ReadOnlyAdmin):
    list_display = ("office", "date", "hour", "expected_arrivals", "expected_wait_min", "computed_at")
    date_hierarchy = "date"
