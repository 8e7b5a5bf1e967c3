"""Payments: one row per attempt to pay a case's fee with a payment provider.

The provider contract (``providers.py``) starts a payment with a redirect and verifies the citizen's
return; the built-in demo provider has its own pages with success, failure and cancel. The case
records the outcome in ``Case.payment_state``.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from buergerbuero.core.tenancy import TenantManager


class PaymentStatus(models.TextChoices):
    CREATED = "created", _("created")
    PENDING = "pending", _("waiting for the provider")
    PAID = "paid", _("paid")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", pgettext_lazy("payment", "cancelled")


class Payment(models.Model):
    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("applications.Case", on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(_("amount (EUR)"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    provider = models.CharField(_("provider"), max_length=50)
    provider_reference = models.CharField(_("provider's reference"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.CREATED)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)

    objects = TenantManager("case__municipality")

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.get_status_display()})"
