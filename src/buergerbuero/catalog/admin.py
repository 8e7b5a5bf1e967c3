"""The Django admin for the catalogue (superusers only, see accounts.admin).

A fallback for repairs: the Kreis edits services in the back office, municipalities
their offerings there too (audited through ``catalog.services``); bulk changes go
through ``manage.py import_catalog``. The admin runs Kreis-wide, like a management command.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    CatalogChange,
    Category,
    DocumentRequirement,
    LifeSituation,
    OfferingHours,
    PostcodeArea,
    Service,
    ServiceOffering,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ["name_de", "name_en", "slug", "position"]
    search_fields = ["name_de", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_de"]}


@admin.register(LifeSituation)
class LifeSituationAdmin(admin.ModelAdmin[LifeSituation]):
    list_display = ["name_de", "name_en", "slug", "position"]
    search_fields = ["name_de", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_de"]}


class DocumentRequirementInline(admin.TabularInline[DocumentRequirement, Service]):
    model = DocumentRequirement
    extra = 0
    fields = ["position", "name_de", "name_en", "note_de", "note_en", "condition"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin[Service]):
    list_display = ["name_de", "leika_key", "level", "counter_minutes", "online_application", "slug"]
    list_filter = ["level", "online_application", "categories"]
    search_fields = ["name_de", "name_en", "leika_key", "slug", "keywords"]
    prepopulated_fields = {"slug": ["name_de"]}
    filter_horizontal = ["categories", "life_situations"]
    readonly_fields = ["public_id", "origin_url", "created_at", "updated_at"]
    inlines = [DocumentRequirementInline]


class OfferingHoursInline(admin.TabularInline[OfferingHours, ServiceOffering]):
    model = OfferingHours
    extra = 0


@admin.register(ServiceOffering)
class ServiceOfferingAdmin(admin.ModelAdmin[ServiceOffering]):
    list_display = ["service", "municipality", "online_application", "updated_at"]
    list_filter = ["municipality"]
    list_select_related = ["service", "municipality"]
    search_fields = ["service__name_de", "municipality__name"]
    autocomplete_fields = ["service"]
    filter_horizontal = ["offices", "serves"]
    readonly_fields = ["public_id", "updated_at"]
    inlines = [OfferingHoursInline]


@admin.register(PostcodeArea)
class PostcodeAreaAdmin(admin.ModelAdmin[PostcodeArea]):
    list_display = ["postcode", "place", "ags", "district_name", "state_name"]
    search_fields = ["postcode", "place", "ags"]


@admin.register(CatalogChange)
class CatalogChangeAdmin(admin.ModelAdmin[CatalogChange]):
    list_display = ["seq", "kind", "object_id", "deleted", "changed_at"]
    list_filter = ["kind", "deleted"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: CatalogChange | None = None) -> bool:
        return False
