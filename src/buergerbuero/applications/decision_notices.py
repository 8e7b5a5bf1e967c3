"""The decision notice: the e-mail that brings the applicant the Bescheid (PDF) of a decided case.

Like the confirmation of receipt (``confirmations.py``), nothing is rendered while deciding:
:func:`queue_decision_notice` puts a small ``case_decided`` outbox message (the case's id) into the
``decide`` transaction, and :func:`send_case_decided`, the outbox handler registered here, renders the
e-mail in the case's language and the Bescheid when the outbox dispatches it. So a decision does not
wait for WeasyPrint while it holds the case row locked, and the outbox payload holds no PDF. Every
attempt (and a resend) carries the outbox message's stable ``Message-ID``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from buergerbuero.core.handlers import deliver_email
from buergerbuero.core.links import absolute_url
from buergerbuero.core.outbox import enqueue, register_handler
from buergerbuero.core.tenancy import scopes_disabled

from .models import Case

__all__ = ["KIND", "queue_decision_notice", "send_case_decided"]

logger = logging.getLogger(__name__)

KIND = "case_decided"  # the outbox kind: rendered and sent by ``send_case_decided``


def _address(case: Case) -> str:
    return case.applicant_email or (case.citizen.email if case.citizen is not None else "")


def _subject(case: Case) -> str:
    return _("Decision on your application %(file_number)s") % {"file_number": case.file_number}


def queue_decision_notice(case: Case) -> None:
    """Queue the e-mail with the Bescheid of the decided ``case`` (once per case; nothing without an address)."""
    if not _address(case):
        return
    with translation.override(case.language):
        label = _subject(case)
    enqueue(
        KIND,
        {"case": case.pk},
        dedupe_key=f"case-decided:{case.public_id}",
        municipality=case.municipality,
        label=label,
    )


def send_case_decided(payload: Mapping[str, Any]) -> None:
    """The outbox handler of ``case_decided``: render the e-mail and the Bescheid and send them."""
    from .decisions import decision_filename, decision_pdf  # WeasyPrint loads only when a Bescheid is sent

    with scopes_disabled():  # the payload names the case; it may belong to any municipality
        case = (
            Case.objects.select_related("municipality", "municipality__district", "service", "citizen")
            .filter(pk=payload["case"])
            .first()
        )
    if case is None:  # deleted since (retention); there is nothing left to send
        logger.warning("case %s of a decision notice no longer exists", payload["case"])
        return
    address = _address(case)
    if not address:
        logger.warning("case %s has no e-mail address any more; its decision notice is not sent", case.file_number)
        return
    with scopes_disabled():  # the Bescheid names the municipality's office
        pdf = decision_pdf(case)
    with translation.override(case.language):
        link = absolute_url(reverse("cases:detail", kwargs={"case_id": case.public_id}))
        body = _(
            "Hello,\n\n"
            "%(municipality)s has decided on your application “%(service)s” (file number %(file_number)s). "
            "The decision (Bescheid) is attached and in your account:\n\n%(link)s\n\n"
            "Kind regards\n%(municipality)s"
        ) % {
            "municipality": case.municipality.official_name or case.municipality.name,
            "service": case.service.name,
            "file_number": case.file_number,
            "link": link,
        }
        subject = _subject(case)
    deliver_email(
        to=[address], subject=subject, body=body, attachments=[(decision_filename(case), "application/pdf", pdf)]
    )


register_handler(KIND, send_case_decided)
