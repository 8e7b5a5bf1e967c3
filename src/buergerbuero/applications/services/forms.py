"""Form versions: loading the form files, adding a version, publishing one.

Forms are Kreis-wide (one per service). Publishing retires the published version; drafts keep the
version they were started on, so a draft of a retired version can still be finished and submitted.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from buergerbuero.accounts.models import User
from buergerbuero.applications.constants import FormStatus
from buergerbuero.applications.formdef import parse_definition
from buergerbuero.applications.models import FormDefinition
from buergerbuero.catalog.models import Service
from buergerbuero.core.audit import log_action

from . import ApplicationError

__all__ = ["FORMS_DIRECTORY", "create_form_version", "load_form_file", "load_form_files", "publish_form_version"]

logger = logging.getLogger(__name__)

#: Where the form files of the installation live, one per service: ``<service-slug>.json``.
FORMS_DIRECTORY = Path(__file__).resolve().parent.parent / "forms"


def create_form_version(*, service: Service, definition: dict[str, Any], actor: User | None) -> FormDefinition:
    """Add ``definition`` as the next version of ``service``'s form (not yet published).

    Raises ``DefinitionError`` when the definition is invalid, ``ApplicationError`` when it names another service.
    """
    spec = parse_definition(definition)
    if spec.service != service.slug:
        raise ApplicationError(
            _("The definition is for the service “%(named)s”, not “%(service)s”.")
            % {"named": spec.service, "service": service.slug},
            field="definition",
        )
    with transaction.atomic():
        # Lock the service row so two uploads cannot take the same version number.
        Service.objects.select_for_update().filter(pk=service.pk).first()
        latest = FormDefinition.objects.filter(service=service).aggregate(latest=Max("version"))["latest"] or 0
        form = FormDefinition.objects.create(
            service=service, version=latest + 1, status=FormStatus.DRAFT, definition=definition, created_by=actor
        )
        log_action(actor=actor, action="applications.form.created", obj=form, changes={"version": form.version})
    return form


def publish_form_version(form: FormDefinition, *, actor: User | None) -> FormDefinition:
    """Make ``form`` the published version of its service, retiring the one published before."""
    with transaction.atomic():
        Service.objects.select_for_update().filter(pk=form.service_id).first()
        form = FormDefinition.objects.select_for_update().get(pk=form.pk)
        if form.status == FormStatus.PUBLISHED:
            return form
        parse_definition(form.definition)  # never publish something the engine cannot read
        retired = list(
            FormDefinition.objects.filter(service_id=form.service_id, status=FormStatus.PUBLISHED).values_list(
                "version", flat=True
            )
        )
        FormDefinition.objects.filter(service_id=form.service_id, status=FormStatus.PUBLISHED).update(
            status=FormStatus.RETIRED
        )
        form.status = FormStatus.PUBLISHED
        form.published_at = timezone.now()
        form.save(update_fields=["status", "published_at"])
        log_action(
            actor=actor,
            action="applications.form.published",
            obj=form,
            changes={"version": form.version, "retired": retired},
        )
    return form


def load_form_file(path: Path | str, *, publish: bool = True) -> FormDefinition:
    """Load one form file without overriding what staff did in the back office.

    * A file whose definition equals *any* version of the service's form (not just the latest) adds
      nothing: that version is returned, and published only when the service has no published version.
    * Only genuinely new content becomes a new version. It is published (with ``publish``) unless the
      published version was made in the back office (``created_by`` set): then it stays a draft for
      staff to review, and a warning is logged.

    Raises ``ApplicationError`` for unreadable JSON or an unknown service, ``DefinitionError`` for an invalid form.
    """
    path = Path(path)
    try:
        definition = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ApplicationError(_("%(file)s cannot be read: %(error)s") % {"file": path.name, "error": error}) from error
    spec = parse_definition(definition)
    service = Service.objects.filter(slug=spec.service).first()
    if service is None:
        raise ApplicationError(
            _("%(file)s is the form of the service “%(service)s”, which is not in the catalogue.")
            % {"file": path.name, "service": spec.service}
        )
    versions = list(FormDefinition.objects.filter(service=service).order_by("-version"))
    published = next((form for form in versions if form.status == FormStatus.PUBLISHED), None)
    same = next((form for form in versions if form.definition == definition), None)
    if same is not None:
        if publish and published is None:
            return publish_form_version(same, actor=None)
        return same
    form = create_form_version(service=service, definition=definition, actor=None)
    if published is not None and published.created_by_id is not None:
        logger.warning(
            "%s changed, but version %s of %s was published in the back office: version %s stays a draft.",
            path.name,
            published.version,
            service.slug,
            form.version,
        )
        return form
    if publish:
        form = publish_form_version(form, actor=None)
    return form


def load_form_files(directory: Path | None = None) -> list[FormDefinition]:
    """Load every ``*.json`` of the forms directory (see :func:`load_form_file`), in name order."""
    folder = directory or FORMS_DIRECTORY
    return [load_form_file(path) for path in sorted(folder.glob("*.json"))]
