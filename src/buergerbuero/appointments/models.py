"""Appointments: each office's booking policy and service groups, the released capacity, the
appointments themselves, the waitlist and the release lottery.

How a slot is claimed (docs/appointments.md): the booking window of each group is **released** as
``CapacityCell`` rows, one per grid cell with its ``bookable`` and ``booked`` count. Reserving an
appointment increments every cell it covers in one conditional ``UPDATE ... WHERE booked < bookable``
inside a transaction and commits only if every cell took it, so no cell can ever exceed its capacity,
whatever the number of concurrent requests and processes. A hold, a booking and an appointment
cancelled less than the return delay ago all occupy their cells; the cells are given back exactly once
(``Appointment.capacity_returned_at``).

Everything here belongs to a municipality through its office and is reached through the tenant scope.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from buergerbuero.core.tenancy import TenantManager

from .constants import AppointmentState, BookingChannel, LotteryEntryState, LotteryState, WaitlistState


class BookingPolicy(models.Model):
    """How an office hands out appointments. One per office; offices without one take no bookings."""

    office = models.OneToOneField("tenants.Office", on_delete=models.CASCADE, related_name="booking_policy")
    is_active = models.BooleanField(_("online booking active"), default=True)
    grid_minutes = models.PositiveSmallIntegerField(_("slot grid (minutes)"), default=5)
    walk_in_percent = models.PositiveSmallIntegerField(
        _("share kept for walk-ins (%)"),
        default=30,
        help_text=_("Share of each group's counters never offered online."),
    )
    first_day_offset = models.PositiveSmallIntegerField(
        _("bookable from (days ahead)"), default=1, help_text=_("1 = from tomorrow.")
    )
    weeks_ahead = models.PositiveSmallIntegerField(_("bookable up to (weeks ahead)"), default=8)
    hold_minutes = models.PositiveSmallIntegerField(
        _("reservation hold (minutes)"),
        default=10,
        help_text=_("How long a chosen time is kept while the form is filled."),
    )
    return_delay_minutes = models.PositiveSmallIntegerField(
        _("delay before cancelled slots return (minutes)"),
        default=15,
        help_text=_("Cancelled times are offered again only after this delay, so bots cannot catch them at once."),
    )
    per_person_cap = models.PositiveSmallIntegerField(
        _("open appointments per person and service"), default=1, help_text=_("Counted by e-mail address.")
    )
    no_show_limit = models.PositiveSmallIntegerField(
        _("no-shows before online booking is blocked"),
        default=2,
        help_text=_("No-shows in the last 180 days that count against a person's cap."),
    )
    reminder_hours = models.PositiveSmallIntegerField(_("reminder (hours before)"), default=24)
    release_unconfirmed = models.BooleanField(
        _("release unanswered appointments"),
        default=False,
        help_text=_("Appointments whose reminder was not answered are released to the waitlist."),
    )
    confirm_deadline_hours = models.PositiveSmallIntegerField(_("answer the reminder by (hours before)"), default=4)
    waitlist_offer_minutes = models.PositiveSmallIntegerField(
        _("time to accept a waitlist offer (minutes)"), default=120
    )

    objects = TenantManager("office__municipality")

    class Meta:
        verbose_name = _("booking policy")
        verbose_name_plural = _("booking policies")

    def __str__(self) -> str:
        return str(self.office)


class ServiceGroup(models.Model):
    """Counters of an office that can each serve every service of the group."""

    office = models.ForeignKey("tenants.Office", on_delete=models.CASCADE, related_name="service_groups")
    key = models.SlugField(_("key"), max_length=50)
    name = models.CharField(_("name"), max_length=100)
    counters = models.ManyToManyField("tenants.Counter", related_name="service_groups", verbose_name=_("counters"))
    services = models.ManyToManyField("catalog.Service", related_name="service_groups", verbose_name=_("services"))
    ticket_prefix = models.CharField(
        _("ticket prefix"),
        max_length=3,
        blank=True,
        help_text=_("Letter(s) before the queue numbers of this line, e.g. A; empty = the key's first letter."),
    )

    objects = TenantManager("office__municipality")

    class Meta:
        verbose_name = _("service group")
        verbose_name_plural = _("service groups")
        ordering = ["office", "key"]
        constraints = [models.UniqueConstraint(fields=["office", "key"], name="appointments_group_key_unique")]

    def __str__(self) -> str:
        return f"{self.office} – {self.name}"

    @property
    def prefix(self) -> str:
        return (self.ticket_prefix or self.key[:1]).upper()


class CapacityCell(models.Model):
    """One grid cell of one group: how many appointments it can take and how many it holds."""

    group = models.ForeignKey(ServiceGroup, on_delete=models.CASCADE, related_name="cells")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    bookable = models.PositiveSmallIntegerField(_("bookable"))
    booked = models.PositiveSmallIntegerField(_("booked"), default=0)

    objects = TenantManager("group__office__municipality")

    class Meta:
        verbose_name = _("capacity cell")
        verbose_name_plural = _("capacity cells")
        constraints = [
            models.UniqueConstraint(fields=["group", "starts_at"], name="appointments_cell_unique"),
            # The database itself refuses an overbooked cell: the last line of defence.
            models.CheckConstraint(
                condition=models.Q(booked__lte=models.F("bookable")), name="appointments_cell_not_overbooked"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group_id}@{self.starts_at:%Y-%m-%d %H:%M} {self.booked}/{self.bookable}"


class Appointment(models.Model):
    """A hold or an appointment of one person for one or more services at one office."""

    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(
        _("booking code"), max_length=12, unique=True, help_text=_("Shown to the citizen, e.g. T-7K3M9Q")
    )
    office = models.ForeignKey("tenants.Office", on_delete=models.PROTECT, related_name="appointments")
    group = models.ForeignKey(ServiceGroup, on_delete=models.PROTECT, related_name="appointments")
    services = models.ManyToManyField("catalog.Service", related_name="appointments", verbose_name=_("services"))
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    state = models.CharField(_("state"), max_length=20, choices=AppointmentState.choices, db_index=True)
    channel = models.CharField(
        _("booked via"), max_length=20, choices=BookingChannel.choices, default=BookingChannel.ONLINE
    )

    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    person_key = models.CharField(
        _("person key"),
        max_length=64,
        blank=True,
        db_index=True,
        help_text=_("Hash of the normalised e-mail, for caps."),
    )
    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="appointments"
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    needs_accessibility = models.BooleanField(_("needs step-free access or assistance"), default=False)
    note = models.CharField(_("note"), max_length=500, blank=True)

    manage_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    hold_expires_at = models.DateTimeField(_("hold expires at"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    returns_at = models.DateTimeField(_("capacity returns at"), null=True, blank=True, db_index=True)
    capacity_returned_at = models.DateTimeField(_("capacity returned at"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    attendance_confirmed_at = models.DateTimeField(_("attendance confirmed at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    no_show_at = models.DateTimeField(_("marked as no-show at"), null=True, blank=True)
    moved_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="moved_to", verbose_name=_("moved from")
    )

    objects = TenantManager("office__municipality")

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["office", "starts_at"]), models.Index(fields=["person_key", "state"])]

    def __str__(self) -> str:
        return self.code


class WaitlistEntry(models.Model):
    """A citizen waits for a time at an office on certain weekdays and hours; freed slots are offered in turn."""

    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True, editable=False)
    office = models.ForeignKey("tenants.Office", on_delete=models.CASCADE, related_name="waitlist")
    services = models.ManyToManyField("catalog.Service", related_name="+", verbose_name=_("services"))
    weekdays = models.JSONField(_("weekdays"), default=list, help_text=_("0 = Monday; empty = any day."))
    earliest_time = models.TimeField(_("not before"), null=True, blank=True)
    latest_time = models.TimeField(_("not after"), null=True, blank=True)
    from_date = models.DateField(_("from"), null=True, blank=True)
    until_date = models.DateField(_("until"), null=True, blank=True)
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"))
    person_key = models.CharField(max_length=64, db_index=True)
    state = models.CharField(_("state"), max_length=20, choices=WaitlistState.choices, default=WaitlistState.WAITING)
    offered = models.ForeignKey(Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    offer_expires_at = models.DateTimeField(_("offer expires at"), null=True, blank=True)
    manage_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TenantManager("office__municipality")

    class Meta:
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist entries")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.office} – {self.name}"


class LotteryRound(models.Model):
    """For scarce services: requests for the times of ``slots_from``..``slots_until`` are collected until
    ``closes_at`` and then drawn at random among everyone who entered."""

    office = models.ForeignKey("tenants.Office", on_delete=models.CASCADE, related_name="lottery_rounds")
    services = models.ManyToManyField("catalog.Service", related_name="+", verbose_name=_("services"))
    opens_at = models.DateTimeField(_("entries from"))
    closes_at = models.DateTimeField(_("entries until"))
    slots_from = models.DateField(_("appointments from"))
    slots_until = models.DateField(_("appointments until"))
    state = models.CharField(_("state"), max_length=20, choices=LotteryState.choices, default=LotteryState.OPEN)
    seed = models.CharField(
        _("draw seed"), max_length=64, blank=True, help_text=_("Recorded so a draw can be audited.")
    )
    drawn_at = models.DateTimeField(_("drawn at"), null=True, blank=True)

    objects = TenantManager("office__municipality")

    class Meta:
        verbose_name = _("release lottery")
        verbose_name_plural = _("release lotteries")
        ordering = ["-closes_at"]

    def __str__(self) -> str:
        return f"{self.office} {self.slots_from:%d.%m.}–{self.slots_until:%d.%m.%Y}"


class LotteryEntry(models.Model):
    round = models.ForeignKey(LotteryRound, on_delete=models.CASCADE, related_name="entries")
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"))
    person_key = models.CharField(max_length=64)
    preferred_weekdays = models.JSONField(_("preferred weekdays"), default=list, blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=LotteryEntryState.choices, default=LotteryEntryState.ENTERED
    )
    appointment = models.ForeignKey(Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    manage_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TenantManager("round__office__municipality")

    class Meta:
        verbose_name = _("lottery entry")
        verbose_name_plural = _("lottery entries")
        constraints = [
            models.UniqueConstraint(fields=["round", "person_key"], name="appointments_one_entry_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.round} – {self.name}"
