"""The citizen's drafts: starting one, saving a step (always, even when invalid), discarding.

Saving the step that holds the form's ``routing`` postcode also decides the responsible municipality
through the responsibility finder. A postcode shared by several municipalities is answered by the
citizen's choice, kept under the reserved data key ``_ags``.
"""

from __future__ import annotations

import copy
from typing import Any

from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _

from buergerbuero.accounts.models import User
from buergerbuero.applications.formdef import (
    FormSpec,
    clean_data,
    delete_value,
    get_value,
    parse_definition,
    prefill,
    routing_postcode,
    set_value,
    validate_step,
)
from buergerbuero.applications.models import Attachment, Draft
from buergerbuero.applications.selectors_forms import published_form
from buergerbuero.catalog.models import Service
from buergerbuero.catalog.responsibility import PlaceStatus, Status, outside_message
from buergerbuero.catalog.selectors import municipality_by_ags, resolve_postcode, responsibility_for
from buergerbuero.core.i18n import localized
from buergerbuero.tenants.models import Municipality
from buergerbuero.tenants.selectors import current_district

from . import ApplicationError

__all__ = ["AGS_KEY", "attach_file", "detach_file", "discard_draft", "draft_spec", "save_step", "start_draft"]

#: Where the citizen's choice among the municipalities of a shared postcode is kept in the draft's data.
AGS_KEY = "_ags"

Errors = dict[str, list[str]]


def draft_spec(draft: Draft) -> FormSpec:
    """The engine's reading of the form version the draft was started on."""
    return parse_definition(draft.form.definition)


def start_draft(*, citizen: User, service: Service) -> Draft:
    """A new draft of the service's published form, prefilled from the citizen's account."""
    form = published_form(service)
    if form is None or not service.online_application:
        raise ApplicationError(_("This service cannot be applied for online at the moment."), code="no_form")
    spec = parse_definition(form.definition)
    return Draft.objects.create(citizen=citizen, form=form, data=prefill(spec, citizen), step=spec.steps[0].key)


def _check_owner(draft: Draft, citizen: User) -> None:
    if draft.citizen_id != citizen.pk or draft.submitted_at is not None:
        raise ApplicationError(_("This draft cannot be changed any more."), code="not_editable")


def save_step(*, draft: Draft, citizen: User, step_key: str, data: dict[str, Any]) -> Errors:
    """Merge one step's posted ``data`` (see ``formdef.parse_post``) into the draft and save it, valid or not.

    Returns the step's errors (path → messages); empty when the step is complete. File fields keep their
    attachment IDs (uploads add to them). ``data`` may carry ``_ags``, the chosen municipality.
    """
    _check_owner(draft, citizen)
    spec = draft_spec(draft)
    step = spec.step(step_key)
    if step is None:
        raise ApplicationError(_("This form has no such step."), code="unknown_step")
    merged = copy.deepcopy(draft.data)
    old_postcode = routing_postcode(spec, merged)
    for item in step.fields:
        if item.widget == "file":
            continue
        value = get_value(data, item.path)
        if value is None:
            delete_value(merged, item.path)
        else:
            set_value(merged, item.path, value)
    reserved = {key: value for key, value in merged.items() if key.startswith("_")}
    if AGS_KEY in data:
        reserved[AGS_KEY] = str(data[AGS_KEY] or "")
    elif routing_postcode(spec, merged) != old_postcode:
        reserved.pop(AGS_KEY, None)  # a new postcode: the old choice does not apply
    result = {**clean_data(spec, merged), **{k: v for k, v in reserved.items() if v}}
    errors = validate_step(spec, step, result)
    municipality = draft.municipality
    if spec.routing in {item.path for item in step.fields}:
        municipality = None
        if spec.routing not in errors:
            municipality, message = _route(draft.form.service, routing_postcode(spec, result), result.get(AGS_KEY))
            if message:
                errors[spec.routing] = [message]
    with transaction.atomic():
        draft.data = result
        draft.step = step.key
        draft.municipality = municipality
        draft.save(update_fields=["data", "step", "municipality", "updated_at"])
    return errors


def _route(service: Service, postcode: str, chosen_ags: str | None) -> tuple[Municipality | None, str]:
    """The municipality that takes the application online for residents of ``postcode``, or why none does."""
    if not postcode:
        return None, ""
    resolution = resolve_postcode(postcode, chosen_ags=chosen_ags or None)
    if resolution.status == PlaceStatus.UNKNOWN:
        return None, _("We do not know the postcode %(postcode)s. Please check it.") % {"postcode": postcode}
    if resolution.status == PlaceStatus.AMBIGUOUS:
        if resolution.choice_rejected:
            return None, _("Choose one of the municipalities listed.")
        return None, _("The postcode %(postcode)s belongs to several municipalities. Please choose yours.") % {
            "postcode": postcode
        }
    place = resolution.place
    home = municipality_by_ags(place.ags) if place is not None else None
    if home is None:
        district_name = getattr(current_district(), "name", "") or _("this Kreis")
        if place is None:
            return None, _("We do not know the postcode %(postcode)s. Please check it.") % {"postcode": postcode}
        text = outside_message(place, district_name=district_name, level=service.level)
        return None, text + " " + _("You cannot apply here online; please apply there.")
    responsibility = responsibility_for(service, home)
    offering = responsibility.offering
    online = offering is not None and (
        offering.online_application if offering.online_application is not None else service.online_application
    )
    if responsibility.status != Status.RESOLVED or responsibility.provider is None or not online:
        contact = responsibility.contact_phone or responsibility.contact_email or responsibility.website
        message = _(
            "%(authority)s does not take applications for “%(service)s” online. "
            "Please apply there in person or by post."
        ) % {"authority": responsibility.authority, "service": localized(service, "name")}
        if contact:
            message += " " + _("Contact: %(contact)s") % {"contact": contact}
        return None, message
    return responsibility.provider, ""


def discard_draft(*, draft: Draft, citizen: User) -> None:
    """Delete the citizen's draft; its uploads lose their draft and are removed by the upload cleanup."""
    _check_owner(draft, citizen)
    draft.delete()


def attach_file(*, draft: Draft, citizen: User, path: str, upload: File) -> Attachment:  # type: ignore[type-arg]
    """Store an upload for the draft's file field ``path``; ``store_upload`` adds its ID to the field's list.

    Raises ``ApplicationError`` (with ``field=path``) when the file is refused; the draft is unchanged then.
    """
    from buergerbuero.applications.services.attachments import store_upload
    from buergerbuero.applications.uploads import limits_for_field

    _check_owner(draft, citizen)
    item = draft_spec(draft).field(path)
    if item is None or item.widget != "file":
        raise ApplicationError(_("This form has no such upload field."), field=path, code="unknown_field")
    attachment = store_upload(owner=citizen, upload=upload, field=path, draft=draft, limits=limits_for_field(item))
    draft.refresh_from_db(fields=["data", "updated_at"])
    return attachment


def detach_file(*, draft: Draft, citizen: User, attachment_id: str) -> None:
    """Remove one of the draft's uploads (``remove_attachment`` takes its ID out of the draft's data)."""
    from buergerbuero.applications.services.attachments import remove_attachment

    _check_owner(draft, citizen)
    attachment = Attachment.objects.filter(draft=draft, owner=citizen, public_id=attachment_id).first()
    if attachment is None:
        raise ApplicationError(_("This file is no longer there."), code="unknown_file")
    remove_attachment(owner=citizen, attachment=attachment)
    draft.refresh_from_db(fields=["data", "updated_at"])
