"""The outbox in the back office (``/backoffice/<municipality>/postausgang/``).

Team leads and municipality administrators (and Kreis admins) see their municipality's messages that
have not been delivered yet or failed for good, with the attempts and the last error, and resend a
failed one. The list shows the label, never the payload (which holds personal data).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from buergerbuero.accounts.constants import Role
from buergerbuero.accounts.permissions import StaffRequest, roles_allow, staff_view
from buergerbuero.accounts.selectors import staff_roles_in
from buergerbuero.tenants.models import Municipality

from .outbox import resend
from .selectors_outbox import OUTBOX_FILTERS, outbox_message_of, outbox_messages

#: Who sees the outbox and resends (a Kreis admin always may).
OUTBOX_ROLES = (Role.TEAM_LEAD, Role.MUNICIPALITY_ADMIN)
PAGE_SIZE = 50


@never_cache
@staff_view(roles=OUTBOX_ROLES)
@require_GET
def outbox_list(request: StaffRequest, municipality: Municipality) -> HttpResponse:
    filter_key = request.GET.get("status", "offen")
    if filter_key not in OUTBOX_FILTERS:
        filter_key = "offen"
    page = Paginator(outbox_messages(municipality, filter_key), PAGE_SIZE).get_page(request.GET.get("seite"))
    held = staff_roles_in(request.user, municipality)
    filters = [
        ("offen", _("Failed and waiting")),
        ("fehlgeschlagen", _("Failed")),
        ("wartend", _("Waiting")),
        ("gesendet", _("Sent")),
    ]
    return render(
        request,
        "core/backoffice/outbox.html",
        {
            "municipality": municipality,
            "can_administer": roles_allow(held, (Role.MUNICIPALITY_ADMIN,)),
            "filter_key": filter_key,
            "filters": filters,
            "page": page,
            "page_query": urlencode({"status": filter_key}),
        },
    )


@staff_view(roles=OUTBOX_ROLES)
@require_POST
def outbox_resend(request: StaffRequest, municipality: Municipality, pk: int) -> HttpResponse:
    message = outbox_message_of(municipality, pk)
    if message is None:
        raise Http404
    if resend(message, actor=request.user):
        messages.success(request, _("“%(label)s” will be sent again now.") % {"label": message.label or message.kind})
    else:
        messages.info(
            request,
            _("“%(label)s” had already been sent again or delivered.") % {"label": message.label or message.kind},
        )
    return redirect(reverse("outbox_admin:list", kwargs={"municipality_slug": municipality.slug}))
