"""Downloads of uploaded files: for the citizen (``/antraege/dateien/<id>/``) and for the responsible
staff (``/backoffice/<municipality>/antraege/dateien/<id>/``).

Access is decided by ``selectors_files`` (404 for anyone else). The response carries the detected
content type, ``nosniff`` and ``private, no-store``, and is a download unless ``?inline=1`` asks to
show a PDF or image in the browser. A citizen needs the login level the service asks for.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, cast

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from buergerbuero.accounts.assurance import requires_assurance
from buergerbuero.accounts.constants import AssuranceLevel
from buergerbuero.accounts.permissions import StaffRequest, staff_view
from buergerbuero.tenants.models import Municipality

from ..models import Attachment
from ..selectors_files import SERVABLE_SCAN_STATES, attachment_for_citizen, attachment_for_staff
from ..uploads import KNOWN_TYPES
from .access import citizen_of, step_up

if TYPE_CHECKING:
    from buergerbuero.catalog.models import Service

INLINE_TYPES = frozenset(KNOWN_TYPES)


@require_GET
@requires_assurance(AssuranceLevel.NONE)
def citizen_download(request: HttpRequest, /, public_id: uuid.UUID) -> HttpResponse:
    attachment = attachment_for_citizen(citizen_of(request), public_id)
    refused = step_up(request, _service_of(attachment))
    if refused is not None:
        return refused
    return file_response(attachment, inline=request.GET.get("inline") == "1")


@require_GET
@staff_view()
def staff_download(request: StaffRequest, public_id: uuid.UUID, *, municipality: Municipality) -> HttpResponse:
    attachment = attachment_for_staff(municipality, public_id)
    return file_response(attachment, inline=request.GET.get("inline") == "1")


def file_response(attachment: Attachment, *, inline: bool) -> HttpResponse:
    """The stored file, never sniffed, never cached; 404 while it is unscanned or if it was found infected."""
    if attachment.scan_status not in SERVABLE_SCAN_STATES:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=not (inline and attachment.content_type in INLINE_TYPES),
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    if attachment.content_type.startswith("image/"):
        # An image shown on its own runs nothing (Chrome's PDF viewer would not start in a sandbox).
        response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    # A FileResponse streams the file; the view decorators are typed for HttpResponse, Django takes either.
    return cast(HttpResponse, response)


def _service_of(attachment: Attachment) -> Service | None:
    """The service whose login level the attachment asks for (the case's, else the draft's form's)."""
    if attachment.case_id is not None:
        return attachment.case.service  # type: ignore[union-attr]
    if attachment.draft_id is not None:
        return attachment.draft.form.service  # type: ignore[union-attr]
    return None
