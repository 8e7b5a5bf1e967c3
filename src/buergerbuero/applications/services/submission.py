"""Submitting a draft: the one way a case comes into being.

``submit_draft`` checks the draft is complete, routes it to the responsible municipality, claims a file
number from the Kreis's file plan, freezes the data with its SHA-512, computes the fee, adopts the
draft's uploads and, in the same transaction, tells the hand-off receivers (``case_submitted``) and
queues the confirmation of receipt in the outbox (rendered, with the receipt PDF, when it is sent:
``applications.confirmations``). It is idempotent: the case carries
the draft's id (unique), so a double click, a retry or a concurrent second submit finds the same case.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from buergerbuero.catalog.fees import FeeQuote, quote
from buergerbuero.catalog.geo import PostcodeError, clean_postcode
from buergerbuero.catalog.responsibility import PlaceStatus, Responsibility
from buergerbuero.catalog.selectors import municipality_by_ags, resolve_postcode, responsibility_for
from buergerbuero.core.i18n import active_language
from buergerbuero.core.tenancy import scopes_disabled

from .. import formdef
from ..confirmations import queue_confirmation
from ..constants import CaseEventKind, CaseState, PaymentState
from ..hashing import canonical_sha512
from ..models import Case, CaseEvent, Draft
from ..signals import case_submitted
from . import ApplicationError
from .fileplan import claim_file_number

if TYPE_CHECKING:
    from buergerbuero.accounts.models import User
    from buergerbuero.catalog.models import Service
    from buergerbuero.tenants.models import Municipality

__all__ = ["IncompleteApplication", "case_of_draft", "fee_of", "route", "submit_draft"]

logger = logging.getLogger(__name__)

#: The deadline when a form names none.
DEFAULT_PROCESSING_DAYS = 14


class IncompleteApplication(ApplicationError):
    """The draft misses answers; ``errors`` maps each data path to its messages (as ``validate_all``)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        first = next(iter(errors), "")
        super().__init__(
            _("The application is not complete yet: %(count)d answers are missing or not valid.")
            % {"count": len(errors)},
            field=first,
            code="incomplete",
        )
        self.errors = errors


def case_of_draft(draft: Draft) -> Case | None:
    """The case the draft became, if it was submitted (Kreis-wide: the case may be in any municipality)."""
    with scopes_disabled():
        return Case.objects.filter(draft_id=draft.public_id).select_related("municipality", "service").first()


def submit_draft(*, draft: Draft, citizen: User) -> Case:
    """Submit ``draft`` for ``citizen`` and return its case; a repeated call returns the same case.

    The view has checked the service's level of assurance. Raises :class:`ApplicationError` when the
    draft is not the citizen's, :class:`IncompleteApplication` when answers are missing, and
    ``ApplicationError`` (``field`` = the routing field) when no municipality of the Kreis takes the
    application online for the given address.
    """
    if draft.citizen_id != citizen.pk:
        raise ApplicationError(_("This application is not yours."), code="not_owner")
    existing = case_of_draft(draft)
    if existing is not None:
        return existing
    try:
        with transaction.atomic(), scopes_disabled():
            return _submit(draft, citizen)
    except IntegrityError:
        # A concurrent submit of the same draft won the unique draft_id; its case is the answer.
        existing = case_of_draft(draft)
        if existing is None:
            raise
        return existing


def _submit(draft: Draft, citizen: User) -> Case:
    locked = Draft.objects.select_for_update().select_related("form__service").get(pk=draft.pk)
    existing = Case.objects.filter(draft_id=locked.public_id).first()
    if existing is not None:  # submitted while we waited for the lock
        return existing
    form = locked.form
    service = form.service
    spec = formdef.parse_definition(form.definition)
    data = formdef.clean_data(spec, locked.data)
    errors = formdef.validate_all(spec, data)
    if errors:
        raise IncompleteApplication(errors)
    responsibility = route(spec, data, service, chosen=locked.municipality)
    municipality = _provider(responsibility)

    now = timezone.now()
    fee, fee_note = fee_of(responsibility, formdef.fee_answers(spec, data))
    processing_days = spec.processing_days or DEFAULT_PROCESSING_DAYS
    language = active_language()
    case = Case.objects.create(
        municipality=municipality,
        service=service,
        form=form,
        file_number=claim_file_number(
            district=municipality.district, service=service, year=timezone.localtime(now).year
        ),
        draft_id=locked.public_id,
        citizen=citizen,
        applicant_name=(formdef.applicant_name(spec, data) or citizen.get_full_name() or citizen.username)[:200],
        applicant_email=formdef.applicant_email(spec, data) or citizen.email,
        language=language,
        data=data,
        data_sha512=canonical_sha512(data),
        state=CaseState.RECEIVED,
        submitted_at=now,
        due_at=now + dt.timedelta(days=int(processing_days)),
        legal_basis=service.legal_basis,
        fee_amount=fee,
        payment_state=PaymentState.OPEN if fee > 0 else PaymentState.NOT_REQUIRED,
    )
    CaseEvent.objects.create(
        case=case,
        kind=CaseEventKind.SUBMITTED,
        actor=citizen,
        data={
            "file_number": case.file_number,
            "municipality": municipality.name,
            "authority": responsibility.authority,
            "fee": str(fee),
            "fee_note": fee_note,
            "data_sha512": case.data_sha512,
        },
    )
    _adopt_attachments(locked, case)
    locked.submitted_at = now
    locked.municipality = municipality
    locked.save(update_fields=["submitted_at", "municipality", "updated_at"])
    case_submitted.send(sender=Case, case=case)
    queue_confirmation(case)
    return case


def route(
    spec: formdef.FormSpec, data: dict[str, Any], service: Service, *, chosen: Municipality | None = None
) -> Responsibility:
    """The responsibility for the application's routing postcode; ``ApplicationError`` unless a
    municipality of the Kreis takes ``service`` online for it. ``chosen`` decides a postcode shared by
    several municipalities (the draft's municipality, as the citizen chose it)."""
    path = spec.routing
    try:
        postcode = clean_postcode(formdef.routing_postcode(spec, data) or "")
    except PostcodeError:
        raise ApplicationError(_("Please enter a valid German postcode."), field=path, code="postcode") from None
    resolution = resolve_postcode(postcode, chosen_ags=chosen.ags if chosen is not None else None)
    if resolution.status == PlaceStatus.AMBIGUOUS:
        raise ApplicationError(
            _("The postcode %(postcode)s belongs to several towns; please choose yours.") % {"postcode": postcode},
            field=path,
            code="ambiguous",
        )
    home = municipality_by_ags(resolution.place.ags) if resolution.place is not None else None
    if resolution.status != PlaceStatus.INSIDE or home is None:
        raise ApplicationError(
            _("The postcode %(postcode)s is not in our Kreis, so we cannot take this application.")
            % {"postcode": postcode},
            field=path,
            code="outside",
        )
    responsibility = responsibility_for(service, home)
    if (
        not responsibility.is_offered
        or responsibility.provider is None
        or not responsibility.variant.online_application
    ):
        raise ApplicationError(
            _("%(municipality)s does not take this application online; please contact %(authority)s.")
            % {"municipality": home.name, "authority": responsibility.authority},
            field=path,
            code="not_online",
        )
    return responsibility


def fee_of(responsibility: Responsibility, answers: dict[str, Any]) -> tuple[Decimal, str]:
    """The fee to pay (EUR) by the catalogue rule of the responsible municipality, and a note for the
    case's timeline when the rule gives a range (the maximum is charged) or no amount (nothing is)."""
    rule = responsibility.variant.fee
    fee: FeeQuote = quote(rule, answers, language="de")
    if fee.minimum is None:
        return Decimal("0.00"), "fee rule gives no amount; nothing charged online"
    if fee.maximum is not None and fee.maximum != fee.minimum:
        return fee.maximum, f"fee range {fee.minimum}–{fee.maximum}; the maximum is charged"
    return fee.minimum, ""


def _adopt_attachments(draft: Draft, case: Case) -> None:
    from .attachments import adopt_draft_attachments

    adopt_draft_attachments(draft=draft, case=case)


def _provider(responsibility: Responsibility) -> Municipality:
    if responsibility.provider is None:  # route() refuses such a responsibility
        raise ApplicationError(_("No municipality takes this application."), code="not_online")
    return responsibility.provider
