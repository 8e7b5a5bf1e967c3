"""Staff download of a Gewerbe case as its XGewerbeanzeige 2.2 message."""

from __future__ import annotations

import uuid

from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from buergerbuero.accounts.permissions import StaffRequest, staff_view
from buergerbuero.core.audit import log_action
from buergerbuero.tenants.models import Municipality

from ..constants import HandoffKind
from ..models import Case, Handoff
from ..services.handoffs import recipients_of, xgewerbeanzeige_document
from ..xgewerbeanzeige import message_kind


@require_GET
@never_cache
@staff_view()
def xgewerbeanzeige_xml(request: StaffRequest, case_id: uuid.UUID, *, municipality: Municipality) -> HttpResponse:
    """The message as sent to ``?empfaenger=<key>`` (default: the first recipient); 404 for other services."""
    case = (
        Case.objects.select_related("service", "municipality__district")
        .filter(public_id=case_id, municipality=municipality)
        .first()
    )
    kind = message_kind(case.service.slug) if case is not None else None
    if case is None or kind is None:
        raise Http404
    recipients = recipients_of(case, kind)
    wanted = request.GET.get("empfaenger", "")
    recipient = next((r for r in recipients if r.key == wanted), None) if wanted else recipients[0]
    if recipient is None:
        raise Http404
    stored = Handoff.objects.filter(case=case, kind=HandoffKind.XGEWERBEANZEIGE, recipient=recipient.key).first()
    document = stored.document.encode("utf-8") if stored is not None else xgewerbeanzeige_document(case, recipient)
    log_action(
        actor=request.user,
        action="applications.case.exported",
        obj=case,
        municipality=municipality,
        changes={"format": "xgewerbeanzeige", "recipient": recipient.key},
    )
    response = HttpResponse(document, content_type="application/xml; charset=utf-8")
    filename = f"xgewerbeanzeige-{case.file_number.replace('/', '-')}-{recipient.key}.xml"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
