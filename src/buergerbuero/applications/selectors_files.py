"""Who may open an uploaded file, and the links to it.

A citizen opens the files they uploaded and the files of their own cases; staff open the files of the
cases of their municipality (reached through the tenant-scoped ``Case`` manager, so a municipality
outside the request's scope finds nothing). Anything else is a 404.
"""

from __future__ import annotations

import uuid

from django.db.models import Q
from django.http import Http404
from django.urls import reverse

from buergerbuero.accounts.models import User
from buergerbuero.tenants.models import Municipality

from .constants import ScanStatus
from .models import Attachment, Case

__all__ = [
    "SERVABLE_SCAN_STATES",
    "attachment_for_citizen",
    "attachment_for_staff",
    "citizen_file_url",
    "staff_file_url",
]

#: Files still waiting for their scan, or found infected, are never handed out.
SERVABLE_SCAN_STATES = (ScanStatus.CLEAN, ScanStatus.SKIPPED)


def attachment_for_citizen(user: User, public_id: uuid.UUID | str) -> Attachment:
    """The attachment if ``user`` uploaded it or it belongs to one of their cases; otherwise ``Http404``."""
    attachment = (
        Attachment.objects.filter(Q(owner=user) | Q(case__citizen=user), public_id=public_id)
        .select_related("case__service", "draft__form__service")
        .first()
    )
    if attachment is None:
        raise Http404
    return attachment


def attachment_for_staff(municipality: Municipality, public_id: uuid.UUID | str) -> Attachment:
    """The attachment if it belongs to a case of ``municipality`` (within the tenant scope); otherwise ``Http404``."""
    cases = Case.objects.filter(municipality=municipality).values("pk")
    attachment = Attachment.objects.filter(public_id=public_id, case__in=cases).first()
    if attachment is None:
        raise Http404
    return attachment


def citizen_file_url(attachment: Attachment, *, inline: bool = False) -> str:
    url = reverse("case_files:download", kwargs={"public_id": attachment.public_id})
    return f"{url}?inline=1" if inline else url


def staff_file_url(attachment: Attachment, municipality: Municipality, *, inline: bool = False) -> str:
    url = reverse(
        "case_files_staff:download", kwargs={"municipality_slug": municipality.slug, "public_id": attachment.public_id}
    )
    return f"{url}?inline=1" if inline else url
