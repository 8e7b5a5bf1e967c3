"""The Django admin for the Kreis, its municipalities and their offices (superusers only, see accounts.admin).

The admin runs outside the back office's tenant scope, Kreis-wide, like a management command.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from buergerbuero.core.audit import diff, log_action, snapshot

from .models import ClosingDay, Counter, District, Municipality, Office, OpeningHours


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin[District]):
    list_display = ["name", "ars", "slug", "state_code"]
    search_fields = ["name", "ars"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin[Municipality]):
    list_display = ["name", "ags", "ars", "slug", "district", "population"]
    list_filter = ["district"]
    search_fields = ["name", "official_name", "ags", "ars", "slug"]
    list_select_related = ["district"]
    prepopulated_fields = {"slug": ["name"]}
    actions = None

    def save_model(self, request: HttpRequest, obj: Municipality, form: Any, change: bool) -> None:
        """Audited like the back office's settings page (``tenants.municipality.updated``)."""
        fields = list(form.changed_data)
        with transaction.atomic():
            before = snapshot(Municipality.objects.get(pk=obj.pk), fields) if change else {}
            super().save_model(request, obj, form, change)
            changes = diff(before, snapshot(obj, fields))
            if changes or not change:
                log_action(
                    actor=request.user if request.user.is_authenticated else None,
                    action="tenants.municipality.updated" if change else "tenants.municipality.created",
                    obj=obj,
                    municipality=obj,
                    changes=changes,
                )


class OpeningHoursInline(admin.TabularInline[OpeningHours, Office]):
    model = OpeningHours
    extra = 0


class CounterInline(admin.TabularInline[Counter, Office]):
    model = Counter
    extra = 0


class ClosingDayInline(admin.TabularInline[ClosingDay, Office]):
    model = ClosingDay
    extra = 0


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin[Office]):
    list_display = ["name", "municipality", "address", "phone", "email"]
    list_filter = ["municipality"]
    search_fields = ["name", "street", "city", "municipality__name"]
    list_select_related = ["municipality"]
    inlines = [OpeningHoursInline, ClosingDayInline, CounterInline]
