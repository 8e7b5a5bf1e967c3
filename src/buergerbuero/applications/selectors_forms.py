"""Reads of form versions and drafts for the citizen's application pages and the form administration."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.urls import reverse

from buergerbuero.accounts.models import User
from buergerbuero.catalog.models import Service

from .constants import FormStatus
from .models import Draft, FormDefinition

__all__ = [
    "FormVersionRow",
    "draft_of_citizen",
    "drafts_for_service",
    "form_versions",
    "online_form_urls",
    "online_services",
    "published_form",
]


def published_form(service: Service) -> FormDefinition | None:
    return FormDefinition.objects.filter(service=service, status=FormStatus.PUBLISHED).first()


def online_services() -> QuerySet[Service]:
    """The services with a published online form, by name."""
    return (
        Service.objects.filter(form_versions__status=FormStatus.PUBLISHED, online_application=True)
        .distinct()
        .order_by("name_de")
    )


def online_form_urls() -> dict[int, str]:
    """Service id → the start page of its online form, for every service with a published form that is
    applied for online (the catalogue's finder and the municipality page link there)."""
    return {
        service.pk: reverse("application_forms:start", kwargs={"service_slug": service.slug})
        for service in online_services().only("pk", "slug")
    }


def draft_of_citizen(citizen: User, public_id: uuid.UUID | str, *, include_submitted: bool = False) -> Draft:
    """The citizen's unsubmitted draft; anyone else's, an unknown one or (unless ``include_submitted``, as
    for a repeated submit) a submitted one is a 404."""
    drafts = Draft.objects.select_related("form", "form__service", "municipality").filter(
        public_id=public_id, citizen=citizen
    )
    if not include_submitted:
        drafts = drafts.filter(submitted_at__isnull=True)
    draft = drafts.first()
    if draft is None:
        raise Http404
    return draft


def drafts_for_service(citizen: User, service: Service) -> QuerySet[Draft]:
    return Draft.objects.filter(citizen=citizen, form__service=service, submitted_at__isnull=True).order_by(
        "-updated_at"
    )


@dataclass(frozen=True)
class FormVersionRow:
    form: FormDefinition
    open_drafts: int


def form_versions(service: Service) -> list[FormVersionRow]:
    """Every version of the service's form, newest first, with its number of unsubmitted drafts."""
    forms = FormDefinition.objects.filter(service=service).annotate(
        open_drafts=Count("drafts", filter=Q(drafts__submitted_at__isnull=True))
    )
    return [FormVersionRow(form, form.open_drafts) for form in forms.order_by("-version")]
