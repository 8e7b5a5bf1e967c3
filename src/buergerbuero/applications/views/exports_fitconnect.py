"""Staff download of a case as a FIT-Connect submission (ZIP: metadata.json, data.json, attachments/)."""

from __future__ import annotations

import uuid

from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from buergerbuero.accounts.permissions import StaffRequest, staff_view
from buergerbuero.core.audit import log_action
from buergerbuero.tenants.models import Municipality

from ..fitconnect.envelope import build_envelope, envelope_zip, zip_filename
from ..models import Case


@require_GET
@never_cache
@staff_view()
def fitconnect_zip(request: StaffRequest, case_id: uuid.UUID, *, municipality: Municipality) -> HttpResponse:
    case = Case.objects.select_related("service", "form").filter(public_id=case_id, municipality=municipality).first()
    if case is None:
        raise Http404
    content = envelope_zip(build_envelope(case))
    log_action(
        actor=request.user,
        action="applications.case.exported",
        obj=case,
        municipality=municipality,
        changes={"format": "fitconnect"},
    )
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{zip_filename(case)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
