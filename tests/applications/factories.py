"""Shared builders for application tests: a small form of every widget kind, a service that takes it
online in ``municipality_a`` (Kaarst, postcode 41564), drafts and cases.

Municipality-owned rows need a tenant scope (``kreis_scope`` fixture or ``scopes_disabled()``).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import factory
from django.utils import timezone

from buergerbuero.accounts.constants import UserKind
from buergerbuero.accounts.models import User
from buergerbuero.applications.constants import CaseState, FormStatus
from buergerbuero.applications.models import Case, Draft, FilePlan, FilePlanEntry, FormDefinition
from buergerbuero.catalog.models import PostcodeArea, Service
from buergerbuero.tenants.models import District, Municipality
from tests.catalog.factories import ServiceFactory, ServiceOfferingFactory

#: A small form with every kind of field the engine knows, in two steps.
SAMPLE_DEFINITION: dict[str, Any] = {
    "format": "buergerbuero-form/1",
    "service": "probeantrag",
    "title_de": "Probeantrag",
    "title_en": "Sample application",
    "intro_de": "Ein Antrag zum Testen.",
    "intro_en": "An application for testing.",
    "processing_days": 14,
    "routing": "adresse.plz",
    "applicant": {"name": ["person.vorname", "person.familienname"], "email": "person.email"},
    "fee_answers": {"legal_form": "person.rechtsform"},
    "schema": {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "required": ["person", "adresse"],
        "properties": {
            "person": {
                "type": "object",
                "additionalProperties": False,
                "required": ["vorname", "familienname", "email", "rechtsform"],
                "properties": {
                    "vorname": {"type": "string", "minLength": 1, "maxLength": 100},
                    "familienname": {"type": "string", "minLength": 1, "maxLength": 100},
                    "email": {"type": "string", "format": "email", "maxLength": 200},
                    "geburtsdatum": {"type": "string", "format": "date"},
                    "rechtsform": {"type": "string", "enum": ["person", "company"]},
                    "firmenname": {"type": "string", "minLength": 1, "maxLength": 200},
                },
                "if": {"properties": {"rechtsform": {"const": "company"}}, "required": ["rechtsform"]},
                "then": {"required": ["firmenname"]},
            },
            "adresse": {
                "type": "object",
                "additionalProperties": False,
                "required": ["strasse", "plz", "ort"],
                "properties": {
                    "strasse": {"type": "string", "minLength": 1, "maxLength": 200},
                    "plz": {"type": "string", "pattern": "^[0-9]{5}$"},
                    "ort": {"type": "string", "minLength": 1, "maxLength": 100},
                },
            },
            "nachweise": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"ausweis": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2}},
                "required": ["ausweis"],
            },
            "bemerkung": {"type": "string", "maxLength": 2000},
        },
    },
    "steps": [
        {
            "key": "person",
            "title_de": "Angaben zur Person",
            "title_en": "About you",
            "fields": [
                {
                    "path": "person.vorname",
                    "widget": "text",
                    "label_de": "Vorname",
                    "label_en": "Given name",
                    "prefill": "user.first_name",
                    "autocomplete": "given-name",
                },
                {
                    "path": "person.familienname",
                    "widget": "text",
                    "label_de": "Familienname",
                    "label_en": "Family name",
                    "prefill": "user.last_name",
                    "autocomplete": "family-name",
                },
                {
                    "path": "person.email",
                    "widget": "email",
                    "label_de": "E-Mail",
                    "label_en": "E-mail",
                    "prefill": "user.email",
                    "autocomplete": "email",
                },
                {
                    "path": "person.geburtsdatum",
                    "widget": "date",
                    "label_de": "Geburtsdatum",
                    "label_en": "Date of birth",
                    "prefill": "user.birth_date",
                },
                {
                    "path": "person.rechtsform",
                    "widget": "radio",
                    "label_de": "Sie stellen den Antrag als",
                    "label_en": "You apply as",
                    "options": [
                        {"value": "person", "label_de": "Privatperson", "label_en": "private person"},
                        {"value": "company", "label_de": "Unternehmen", "label_en": "company"},
                    ],
                },
                {
                    "path": "person.firmenname",
                    "widget": "text",
                    "label_de": "Name des Unternehmens",
                    "label_en": "Company name",
                    "when": {"q": "person.rechtsform", "op": "eq", "value": "company"},
                },
            ],
        },
        {
            "key": "adresse",
            "title_de": "Anschrift",
            "title_en": "Address",
            "fields": [
                {
                    "path": "adresse.strasse",
                    "widget": "text",
                    "label_de": "Straße und Hausnummer",
                    "label_en": "Street and number",
                    "prefill": "user.street",
                    "autocomplete": "street-address",
                },
                {
                    "path": "adresse.plz",
                    "widget": "postcode",
                    "label_de": "Postleitzahl",
                    "label_en": "Postcode",
                    "prefill": "user.postcode",
                    "autocomplete": "postal-code",
                },
                {
                    "path": "adresse.ort",
                    "widget": "text",
                    "label_de": "Ort",
                    "label_en": "Town",
                    "prefill": "user.city",
                    "autocomplete": "address-level2",
                },
            ],
        },
        {
            "key": "nachweise",
            "title_de": "Nachweise",
            "title_en": "Documents",
            "fields": [
                {
                    "path": "nachweise.ausweis",
                    "widget": "file",
                    "label_de": "Personalausweis (Vorder- und Rückseite)",
                    "label_en": "Identity card (front and back)",
                    "accept": ["application/pdf", "image/jpeg", "image/png"],
                    "max_files": 2,
                    "max_mb": 5,
                },
                {"path": "bemerkung", "widget": "textarea", "label_de": "Bemerkung", "label_en": "Remarks"},
            ],
        },
    ],
}

#: Complete data for :data:`SAMPLE_DEFINITION` (the attachment list is filled by tests that upload).
SAMPLE_DATA: dict[str, Any] = {
    "person": {"vorname": "Erika", "familienname": "Mustermann", "email": "erika@example.org", "rechtsform": "person"},
    "adresse": {"strasse": "Am Neumarkt 1", "plz": "41564", "ort": "Kaarst"},
    "nachweise": {"ausweis": []},
}

#: A fee rule that reads the sample form's ``fee_answers``.
SAMPLE_FEE = {
    "kind": "rules",
    "rules": [{"when": {"q": "legal_form", "op": "eq", "value": "company"}, "amount": "33.00"}],
    "default": "26.00",
}


def canonical_sha512(data: dict[str, Any]) -> str:
    return hashlib.sha512(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def online_service(
    municipality: Municipality,
    *,
    slug: str = "probeantrag",
    definition: dict[str, Any] | None = None,
    assurance: int = 2,
    fee: dict[str, Any] | None = None,
    postcode: str = "41564",
) -> tuple[Service, FormDefinition]:
    """A service with a published form, offered online by ``municipality`` for residents of ``postcode``.

    Needs a tenant scope. Also creates the postcode area and the Kreis's file plan.
    """
    service = ServiceFactory(
        slug=slug,
        online_application=True,
        online_assurance=assurance,
        fee=SAMPLE_FEE if fee is None else fee,
        legal_basis="§ 1 Probegesetz",
    )
    ServiceOfferingFactory(municipality=municipality, service=service, online_application=True)
    PostcodeArea.objects.get_or_create(postcode=postcode, ags=municipality.ags, defaults={"place": municipality.name})
    definition = dict(definition or SAMPLE_DEFINITION, service=slug)
    form = FormDefinition.objects.create(
        service=service, version=1, status=FormStatus.PUBLISHED, definition=definition, published_at=timezone.now()
    )
    file_plan(municipality.district, service)
    return service, form


def file_plan(district: District, service: Service | None = None, *, code: str = "32.11") -> FilePlan:
    plan, _ = FilePlan.objects.get_or_create(district=district)
    entry, _ = FilePlanEntry.objects.get_or_create(plan=plan, code=code, defaults={"title": "Gewerbeangelegenheiten"})
    if service is not None:
        entry.services.add(service)
    return plan


class CitizenFactory(factory.django.DjangoModelFactory[User]):
    """A citizen account as the OIDC login creates it (for tests that need no login)."""

    class Meta:
        model = User

    kind = UserKind.CITIZEN
    username = factory.Sequence(lambda n: f"citizen-{n}")
    oidc_issuer = "http://127.0.0.1/test-idp"
    oidc_subject = factory.Sequence(lambda n: f"subject-{n}")
    first_name = "Erika"
    last_name = "Mustermann"
    email = factory.Sequence(lambda n: f"citizen{n}@example.org")
    street = "Am Neumarkt 1"
    postcode = "41564"
    city = "Kaarst"


class DraftFactory(factory.django.DjangoModelFactory[Draft]):
    class Meta:
        model = Draft

    citizen = factory.SubFactory(CitizenFactory)
    data = factory.LazyFunction(lambda: json.loads(json.dumps(SAMPLE_DATA)))


class CaseFactory(factory.django.DjangoModelFactory[Case]):
    """A submitted case; pass ``municipality``, ``service`` and ``form``. Needs a tenant scope."""

    class Meta:
        model = Case

    file_number = factory.Sequence(lambda n: f"32.11/2026/{n + 1:06d}")
    draft_id = factory.LazyFunction(uuid.uuid4)
    citizen = factory.SubFactory(CitizenFactory)
    applicant_name = "Erika Mustermann"
    applicant_email = factory.LazyAttribute(lambda o: o.citizen.email if o.citizen else "erika@example.org")
    data = factory.LazyFunction(lambda: json.loads(json.dumps(SAMPLE_DATA)))
    data_sha512 = factory.LazyAttribute(lambda o: canonical_sha512(o.data))
    state = CaseState.RECEIVED
    submitted_at = factory.LazyFunction(timezone.now)
