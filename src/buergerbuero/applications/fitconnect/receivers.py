"""Creates the FIT-Connect hand-off of a submitted case (connected to ``case_submitted``).

Only services with a destination in ``FITCONNECT_DESTINATIONS`` are handed on. The hand-off and its
outbox message are written in the submission's transaction, so a case exists exactly with its
hand-off; the outbox handler (``handler.py``) builds the envelope and sends it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.dispatch import receiver

from buergerbuero.core.outbox import enqueue

from ..constants import HandoffKind
from ..models import Case, Handoff
from ..signals import case_submitted
from . import handler
from .client import destination_for
from .envelope import EnvelopeError, build_envelope
from .metadata import MetadataError

__all__ = ["create_fitconnect_handoff", "on_case_submitted"]

logger = logging.getLogger(__name__)


@receiver(case_submitted, dispatch_uid="fitconnect-handoff")
def on_case_submitted(sender: Any, *, case: Case, **kwargs: Any) -> None:
    create_fitconnect_handoff(case=case)


def create_fitconnect_handoff(*, case: Case) -> Handoff | None:
    """The case's FIT-Connect hand-off and its outbox message, or ``None`` when no destination is configured.

    Repeating it for the same case changes nothing. The document stored now is the metadata without
    the receipt PDF (rendering it belongs to the delivery, not to the citizen's submit); the handler
    replaces it with the metadata as sent.
    """
    destination_id = destination_for(case.service.slug, case.service.leika_key)
    if not destination_id:
        return None
    handoff, created = Handoff.objects.get_or_create(
        case=case,
        kind=HandoffKind.FITCONNECT,
        recipient=destination_id[:50],
        defaults={"recipient_name": f"FIT-Connect {destination_id}"[:200], "document": _preview(case)},
    )
    if created:
        enqueue(
            handler.KIND,
            {"handoff_id": handoff.pk},
            dedupe_key=handler.dedupe_key(handoff),
            municipality=case.municipality,
            label=f"FIT-Connect: {case.file_number}",
        )
    return handoff


def _preview(case: Case) -> str:
    """The metadata as far as it is known at submission. A problem with it must not stop the citizen's
    submission: it is logged, and the delivery attempts then fail visibly in the outbox."""
    try:
        return json.dumps(build_envelope(case, with_receipt=False).metadata, ensure_ascii=False, indent=2)
    except (EnvelopeError, MetadataError, OSError) as error:
        logger.warning("FIT-Connect metadata of case %s cannot be built yet: %s", case.pk, error)
        return ""
