"""The live queue: tickets, counters signed into by clerks, and what happened to each ticket.

A ticket waits in the line of one ``appointments.ServiceGroup`` of its office (the group says which
counters can serve it and gives its number prefix). Numbers run per office, day and prefix. The
ticket's own timestamps (arrival, first call, start, end) are what statistics and the wait
prediction learn from; ``TicketEvent`` keeps the whole history, one row per step.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from buergerbuero.core.tenancy import TenantManager

from .constants import Priority, RemoteTickets, TicketEventKind, TicketSource, TicketState


class QueueSettings(models.Model):
    """How an office runs its live queue."""

    office = models.OneToOneField("tenants.Office", on_delete=models.CASCADE, related_name="queue_settings")
    is_active = models.BooleanField(_("live queue active"), default=True)
    remote_tickets = models.CharField(
        _("tickets from the app or portal"),
        max_length=20,
        choices=RemoteTickets.choices,
        default=RemoteTickets.CHECK_IN,
    )
    last_ticket_minutes = models.PositiveSmallIntegerField(
        _("last ticket (minutes before closing)"),
        default=15,
        help_text=_("No ticket is issued later than this before the office closes."),
    )
    serve_out_minutes = models.PositiveSmallIntegerField(
        _("serving after closing (minutes)"),
        default=30,
        help_text=_(
            "How long counters go on serving after the doors close; tickets that would wait longer are stopped."
        ),
    )
    appointment_early_minutes = models.PositiveSmallIntegerField(
        _("appointment priority from (minutes before the time)"), default=10
    )
    appointment_late_minutes = models.PositiveSmallIntegerField(
        _("appointment priority until (minutes after the time)"), default=15
    )
    max_recalls = models.PositiveSmallIntegerField(_("calls again at most"), default=3)
    postpone_minutes = models.PositiveSmallIntegerField(_("'I need more time' moves back by (minutes)"), default=10)
    max_postpones = models.PositiveSmallIntegerField(_("moving back allowed (times)"), default=2)
    spoken_calls = models.BooleanField(_("speak calls on the display"), default=False)
    stopped_on = models.DateField(_("tickets stopped by staff on"), null=True, blank=True)
    stop_reason = models.CharField(_("reason for the ticket stop"), max_length=200, blank=True)

    objects = TenantManager("office__municipality")

    class Meta:
        verbose_name = _("queue settings")
        verbose_name_plural = _("queue settings")

    def __str__(self) -> str:
        return str(self.office)


class TicketSequence(models.Model):
    """The last number issued per office, day and prefix; incremented under a row lock."""

    office = models.ForeignKey("tenants.Office", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    prefix = models.CharField(max_length=3, blank=True)
    last_number = models.PositiveIntegerField(default=0)

    objects = TenantManager("office__municipality")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "day", "prefix"], name="queueing_sequence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.office_id} {self.day} {self.prefix}{self.last_number}"


class Ticket(models.Model):
    """One person's place in an office's queue on one day."""

    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True, editable=False)
    office = models.ForeignKey("tenants.Office", on_delete=models.PROTECT, related_name="tickets")
    day = models.DateField(_("day"))
    prefix = models.CharField(_("prefix"), max_length=3, blank=True)
    number = models.PositiveIntegerField(_("number"))
    group = models.ForeignKey(
        "appointments.ServiceGroup", on_delete=models.PROTECT, related_name="tickets", verbose_name=_("line")
    )
    service = models.ForeignKey(
        "catalog.Service",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("service"),
    )
    source = models.CharField(_("drawn via"), max_length=20, choices=TicketSource.choices)
    state = models.CharField(_("state"), max_length=20, choices=TicketState.choices, db_index=True)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    priority_from = models.DateTimeField(_("priority applies from"), null=True, blank=True)
    needs_accessibility = models.BooleanField(_("needs step-free access or assistance"), default=False)
    appointment = models.OneToOneField(
        "appointments.Appointment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ticket",
        verbose_name=_("appointment"),
    )
    target_counter = models.ForeignKey(
        "tenants.Counter",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("only for counter"),
    )
    counter = models.ForeignKey(
        "tenants.Counter",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("counter"),
    )
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(pgettext_lazy("queue ticket", "drawn at"))
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    queued_at = models.DateTimeField(_("in line since"), null=True, blank=True, db_index=True)
    ready_at = models.DateTimeField(_("can be called from"), null=True, blank=True)
    called_at = models.DateTimeField(_("first called at"), null=True, blank=True)
    last_called_at = models.DateTimeField(_("last called at"), null=True, blank=True)
    recalls = models.PositiveSmallIntegerField(_("calls again"), default=0)
    postpones = models.PositiveSmallIntegerField(_("moved back"), default=0)
    started_at = models.DateTimeField(_("service started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    predicted_wait_minutes = models.PositiveSmallIntegerField(_("predicted wait when drawn"), null=True, blank=True)
    alert_minutes = models.PositiveSmallIntegerField(_("alert minutes before the call"), null=True, blank=True)
    alert_positions = models.PositiveSmallIntegerField(_("alert when this many are ahead"), null=True, blank=True)
    alert_email = models.EmailField(_("e-mail for alerts"), blank=True)
    alert_phone = models.CharField(_("mobile number for alerts"), max_length=30, blank=True)
    alert_sent_at = models.DateTimeField(_("alert sent at"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=10, default="de")

    objects = TenantManager("office__municipality")

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["office", "day", "queued_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["office", "day", "prefix", "number"], name="queueing_ticket_number_unique"),
        ]
        indexes = [models.Index(fields=["office", "day", "state"], name="queueing_ticket_line")]

    def __str__(self) -> str:
        return self.code

    @property
    def code(self) -> str:
        """The number as called out and printed, e.g. ``A017``."""
        return f"{self.prefix}{self.number:03d}"


class CounterSession(models.Model):
    """A clerk signed into a counter, serving the lines they chose."""

    counter = models.ForeignKey("tenants.Counter", on_delete=models.CASCADE, related_name="queue_sessions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="counter_sessions")
    groups = models.ManyToManyField("appointments.ServiceGroup", related_name="+", verbose_name=_("lines"))
    started_at = models.DateTimeField(_("signed in at"))
    paused_since = models.DateTimeField(_("paused since"), null=True, blank=True)
    ended_at = models.DateTimeField(_("signed out at"), null=True, blank=True)

    objects = TenantManager("counter__office__municipality")

    class Meta:
        verbose_name = _("counter session")
        verbose_name_plural = _("counter sessions")
        constraints = [
            models.UniqueConstraint(
                fields=["counter"], condition=models.Q(ended_at__isnull=True), name="queueing_one_session_per_counter"
            ),
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(ended_at__isnull=True), name="queueing_one_counter_per_clerk"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.counter} – {self.user}"


class TicketEvent(models.Model):
    """One step in a ticket's life, for statistics and to explain what happened."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=TicketEventKind.choices)
    at = models.DateTimeField(pgettext_lazy("queue ticket event", "at"))
    counter = models.ForeignKey("tenants.Counter", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)

    objects = TenantManager("ticket__office__municipality")

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.at:%H:%M:%S}"


class PushSubscription(models.Model):
    """A browser's Web Push subscription for one ticket (the PushSubscription JSON of the browser)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=1000)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager("ticket__office__municipality")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "endpoint"], name="queueing_push_unique")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.endpoint[:40]}"

    def as_subscription(self) -> dict[str, object]:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}
