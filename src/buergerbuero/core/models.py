from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .tenancy import TenantManager


class AuditEntry(models.Model):
    """One staff write: who did what to which object, in which municipality, and what changed."""

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(_("actor"), max_length=200, blank=True)
    municipality = models.ForeignKey(
        "tenants.Municipality", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=100, db_index=True, help_text=_("e.g. catalog.service.updated"))
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changed fields"), default=dict, blank=True)

    objects = TenantManager("municipality")

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["municipality", "-created_at"], name="audit_by_municipality")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action}"


class OutboxMessage(models.Model):
    """Something that must leave the system (an e-mail, a push, a hand-off), written in the same
    transaction as the change that caused it and sent afterwards by ``core.outbox.dispatch_due``.

    Sending is retried with exponential backoff; after ``OUTBOX_MAX_ATTEMPTS`` the message is
    ``failed`` and shown to administrators, never silently dropped.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("kind"), max_length=50, db_index=True, help_text=_("e.g. email, push, sms"))
    payload = models.JSONField(_("payload"))
    dedupe_key = models.CharField(
        _("deduplication key"),
        max_length=200,
        null=True,
        blank=True,
        unique=True,
        help_text=_("The same key is enqueued only once, e.g. reminder:<appointment>."),
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PENDING)
    # Who may see the message in the back office (failed deliveries, resend) and what it is about.
    municipality = models.ForeignKey(
        "tenants.Municipality", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    label = models.CharField(
        _("description"), max_length=300, blank=True, help_text=_("e.g. receipt 32.11/2026/000123 to the citizen")
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # The dispatcher sending it right now (``core.outbox``): until ``claimed_until`` no other run takes
    # it; a worker that died leaves an expired claim that the next run takes over.
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    claim_token = models.UUIDField(_("claim token"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), db_index=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["next_attempt_at", "pk"]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"
