"""The Django admin for appointments (superusers only, see accounts.admin; runs Kreis-wide).

Staff create release lotteries here; everything else is read-mostly: booking policies and service
groups can be repaired (release the capacity afterwards with the action), appointments and waitlist
entries are shown, never edited (their states change only through the services).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .capacity_model import policy_of
from .constants import LotteryState
from .models import Appointment, BookingPolicy, LotteryEntry, LotteryRound, ServiceGroup, WaitlistEntry
from .services import lottery as lotteries
from .services.booking import groups_for, release_capacity


class ReadOnlyAdminMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(BookingPolicy)
class BookingPolicyAdmin(admin.ModelAdmin[BookingPolicy]):
    list_display = ["office", "is_active", "grid_minutes", "walk_in_percent", "weeks_ahead", "hold_minutes"]
    list_filter = ["is_active"]
    list_select_related = ["office", "office__municipality"]
    search_fields = ["office__name", "office__municipality__name"]
    actions = ["release"]

    @admin.action(description=_("Release the booking window of the selected offices"))
    def release(self, request: HttpRequest, queryset: QuerySet[BookingPolicy]) -> None:
        for policy in queryset.select_related("office"):
            result = release_capacity(policy.office)
            self.message_user(
                request,
                _("%(office)s: %(created)s cells created, %(updated)s changed, %(affected)s appointments affected")
                % {
                    "office": policy.office,
                    "created": result.created,
                    "updated": result.updated,
                    "affected": len(result.affected),
                },
            )


@admin.register(ServiceGroup)
class ServiceGroupAdmin(admin.ModelAdmin[ServiceGroup]):
    list_display = ["office", "key", "name"]
    list_select_related = ["office"]
    search_fields = ["office__name", "key", "name"]
    filter_horizontal = ["counters", "services"]


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Appointment]):
    list_display = ["code", "office", "starts_at", "state", "channel", "name"]
    list_filter = ["state", "channel", "office__municipality"]
    list_select_related = ["office"]
    search_fields = ["code", "name", "email"]
    date_hierarchy = "starts_at"
    exclude = ["manage_token_hash", "idempotency_key"]


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[WaitlistEntry]):
    list_display = ["name", "office", "state", "until_date", "offer_expires_at", "created_at"]
    list_filter = ["state", "office__municipality"]
    list_select_related = ["office"]
    search_fields = ["name", "email"]
    exclude = ["manage_token_hash", "person_key"]


class LotteryEntryInline(admin.TabularInline[LotteryEntry, LotteryRound]):
    model = LotteryEntry
    fields = ["name", "email", "preferred_weekdays", "state", "appointment", "created_at"]
    readonly_fields = ["name", "email", "preferred_weekdays", "state", "appointment", "created_at"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LotteryRoundForm(forms.ModelForm[LotteryRound]):
    """Checks a round before it is saved. No ``Meta``: the admin builds the fields per request, inside
    the request's scope (offices are tenant-owned, so their choices cannot be read at import)."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        office, services = data.get("office"), data.get("services")
        opens_at, closes_at = data.get("opens_at"), data.get("closes_at")
        first, last = data.get("slots_from"), data.get("slots_until")
        if opens_at and closes_at and closes_at <= opens_at:
            self.add_error("closes_at", _("Entries must close after they open."))
        if first and last and last < first:
            self.add_error("slots_until", _("The last day must not be before the first."))
        if closes_at and first and first <= timezone.localtime(closes_at).date():
            self.add_error("slots_from", _("The appointment days must start after the entries close."))
        if office and services is not None:
            policy = policy_of(office)
            if not policy.is_active or not groups_for(office, policy, [s.slug for s in services])[0]:
                self.add_error("services", _("The office does not take appointments for these services."))
            elif closes_at and last:
                window_end = timezone.localtime(closes_at).date() + timedelta(days=7 * policy.weeks_ahead)
                if last > window_end:
                    self.add_error(
                        "slots_until",
                        _("At the draw, the office's booking window ends on %(day)s; choose days up to then.")
                        % {"day": window_end.strftime("%d.%m.%Y")},
                    )
            if first and last:
                overlapping = LotteryRound.objects.filter(
                    office=office,
                    state=LotteryState.OPEN,
                    services__in=list(services),
                    slots_from__lte=last,
                    slots_until__gte=first,
                )
                if self.instance.pk:
                    overlapping = overlapping.exclude(pk=self.instance.pk)
                if overlapping.exists():
                    self.add_error("slots_from", _("Another open lottery covers these days and services."))
        return data


@admin.register(LotteryRound)
class LotteryRoundAdmin(admin.ModelAdmin[LotteryRound]):
    form = LotteryRoundForm
    fields = ["office", "services", "opens_at", "closes_at", "slots_from", "slots_until", "state", "seed", "drawn_at"]
    list_display = ["__str__", "office", "opens_at", "closes_at", "state", "drawn_at"]
    list_filter = ["state", "office__municipality"]
    list_select_related = ["office"]
    filter_horizontal = ["services"]
    readonly_fields = ["state", "seed", "drawn_at"]
    inlines = [LotteryEntryInline]
    actions = ["draw", "call_off"]

    def has_delete_permission(self, request: HttpRequest, obj: LotteryRound | None = None) -> bool:
        return obj is None or not obj.entries.exists()

    def has_change_permission(self, request: HttpRequest, obj: LotteryRound | None = None) -> bool:
        return obj is None or obj.state == LotteryState.OPEN

    @admin.action(description=_("Draw the selected lotteries whose entries have closed"))
    def draw(self, request: HttpRequest, queryset: QuerySet[LotteryRound]) -> None:
        now = timezone.now()
        for lottery in queryset.select_related("office__municipality"):
            if lottery.state == LotteryState.OPEN and lottery.closes_at > now:
                self.message_user(
                    request, _("%(round)s: entries are still open.") % {"round": lottery}, messages.WARNING
                )
                continue
            settled = lotteries.draw_round(lottery, now=now)
            self.message_user(
                request, _("%(round)s: %(count)s entries settled.") % {"round": lottery, "count": settled}
            )

    @admin.action(description=_("Call off the selected open lotteries"))
    def call_off(self, request: HttpRequest, queryset: QuerySet[LotteryRound]) -> None:
        actor = request.user if request.user.is_authenticated else None
        called_off = sum(lotteries.cancel_round(lottery, actor=actor) for lottery in queryset)
        self.message_user(request, _("%(count)s lotteries called off.") % {"count": called_off})
