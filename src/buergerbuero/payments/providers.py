"""The payment provider contract, and the built-in demo provider.

A provider (in production ePayBL, pmPayment or a bank's gateway; see docs/payments.md) is a class with:

* ``name`` — stored on each ``Payment`` (``Payment.provider``);
* ``start(payment, *, return_url, cancel_url) -> str`` — registers the payment with the provider and
  returns the URL to send the citizen to; it may set ``payment.provider_reference`` (the caller saves);
* ``verify_return(payment, params) -> PaymentStatus`` — checks the parameters the citizen's browser
  brings back (always signed by the provider) and returns PAID, FAILED or CANCELLED; a forged or
  garbled return raises :class:`PaymentVerificationError`;
* optionally ``fetch_status(payment) -> PaymentStatus | None`` — asks the provider server-to-server
  (for payments whose citizen never came back).

``get_provider()`` instantiates ``settings.PAYMENT_PROVIDER``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.module_loading import import_string

from .models import Payment, PaymentStatus

__all__ = ["DemoProvider", "PaymentProvider", "PaymentVerificationError", "get_provider"]


class PaymentVerificationError(Exception):
    """The return from the provider is not authentic or not understood; nothing may change."""


@runtime_checkable
class PaymentProvider(Protocol):
    name: str

    def start(self, payment: Payment, *, return_url: str, cancel_url: str) -> str: ...

    def verify_return(self, payment: Payment, params: Mapping[str, str]) -> PaymentStatus: ...


def get_provider() -> PaymentProvider:
    """The configured provider (``settings.PAYMENT_PROVIDER``, a dotted path to a class)."""
    provider: PaymentProvider = import_string(settings.PAYMENT_PROVIDER)()
    return provider


#: What the demo provider's return may say, and what it means.
DEMO_OUTCOMES: dict[str, PaymentStatus] = {
    "paid": PaymentStatus.PAID,
    "failed": PaymentStatus.FAILED,
    "cancelled": PaymentStatus.CANCELLED,
}


class DemoProvider:
    """A provider for demos and tests: its own pages (``/bezahlen/demo/<payment>/``) let the citizen pay,
    fail or cancel; no money moves. The return carries ``status``, ``ref`` and ``sig``, an HMAC (derived
    from ``SECRET_KEY``) over the payment id, status and reference, as a real provider signs its returns."""

    name = "demo"

    def start(self, payment: Payment, *, return_url: str, cancel_url: str) -> str:
        # The demo pages return to the fixed return URL of the payment; a real provider is told both URLs.
        if not payment.provider_reference:
            payment.provider_reference = f"DEMO-{payment.public_id.hex[:12].upper()}"
        return reverse("payments:demo", args=[payment.public_id])

    def verify_return(self, payment: Payment, params: Mapping[str, str]) -> PaymentStatus:
        status = params.get("status", "")
        reference = params.get("ref", "")
        signature = params.get("sig", "")
        if status not in DEMO_OUTCOMES or not reference or not signature:
            raise PaymentVerificationError("incomplete return")
        if reference != payment.provider_reference:
            raise PaymentVerificationError("reference does not belong to this payment")
        if not constant_time_compare(signature, self.sign(payment, status)):
            raise PaymentVerificationError("bad signature")
        return DEMO_OUTCOMES[status]

    def fetch_status(self, payment: Payment) -> PaymentStatus | None:
        return None  # the demo provider keeps no state of its own

    def sign(self, payment: Payment, status: str) -> str:
        message = f"{payment.public_id}|{status}|{payment.provider_reference}"
        return salted_hmac("buergerbuero.payments.demo", message, algorithm="sha256").hexdigest()

    def return_url(self, payment: Payment, status: str) -> str:
        """Where the demo page sends the citizen back to, signed."""
        from urllib.parse import urlencode

        query = urlencode({"status": status, "ref": payment.provider_reference, "sig": self.sign(payment, status)})
        return f"{reverse('payments:return', args=[payment.public_id])}?{query}"
