"""The catalogue import: our JSON format and the flat CSV, idempotent, all or nothing."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from buergerbuero.catalog.importer import import_catalog, read_csv, read_json
from buergerbuero.catalog.models import Category, DocumentRequirement, LifeSituation, Service
from buergerbuero.core.models import AuditEntry
from buergerbuero.core.tenancy import scopes_disabled
from tests.catalog.factories import CategoryFactory, LifeSituationFactory

EXAMPLE_CSV = Path(__file__).resolve().parents[2] / "docs" / "examples" / "catalog-example.csv"

pytestmark = pytest.mark.django_db


def _document(**changes: Any) -> dict[str, Any]:
    service = {
        "slug": "personalausweis",
        "leika_key": "99008001000000",
        "name_de": "Personalausweis beantragen",
        "name_en": "Apply for an identity card",
        "summary_de": "Der Ausweis weist Sie aus.",
        "summary_en": "The card proves who you are.",
        "legal_basis": "§ 9 PAuswG",
        "level": "municipality",
        "channels": ["appointment"],
        "counter_minutes": 15,
        "keywords": ["Perso", "Ausweis"],
        "categories": ["ausweise"],
        "life_situations": ["umzug"],
        "questions": [
            {"key": "age", "kind": "number", "label_de": "Alter", "label_en": "Age", "min": 0, "max": 130},
        ],
        "fee": {
            "kind": "rules",
            "rules": [{"when": {"q": "age", "op": "lt", "value": 24}, "amount": "22.80", "label_de": "unter 24"}],
            "default": "37.00",
        },
        "requirements": [
            {"name_de": "Passfoto", "name_en": "Photo", "note_de": "35 × 45 mm", "condition": None},
            {"name_de": "Zustimmung der Eltern", "condition": {"q": "age", "op": "lt", "value": 16}},
        ],
    }
    service.update(changes)
    return {
        "categories": [{"slug": "ausweise", "name_de": "Ausweise", "name_en": "ID cards"}],
        "life_situations": [{"slug": "umzug", "name_de": "Umzug", "name_en": "Moving", "summary_de": "Neue Adresse."}],
        "services": [service],
    }


def _audits(action: str | None = None) -> int:
    with scopes_disabled():
        entries = AuditEntry.objects.all()
        return (entries.filter(action=action) if action else entries).count()


def _import(document: dict[str, Any], **options: Any) -> Any:
    return import_catalog(read_json(json.dumps(document)), **options)


def test_it_imports_categories_life_situations_and_services_with_their_checklists() -> None:
    result = _import(_document())
    assert result.ok, result.errors
    assert result.counts["services"]["created"] == 1
    service = Service.objects.get(slug="personalausweis")
    assert service.keywords == "Perso, Ausweis"
    assert service.by_appointment and not service.online_application
    assert service.fee["default"] == "37.00"
    assert [c.slug for c in service.categories.all()] == ["ausweise"]
    assert [s.slug for s in service.life_situations.all()] == ["umzug"]
    requirements = list(service.requirements.order_by("position"))
    assert [(r.position, r.name_de) for r in requirements] == [(1, "Passfoto"), (2, "Zustimmung der Eltern")]
    assert requirements[1].condition == {"q": "age", "op": "lt", "value": 16}
    assert _audits("catalog.service.create") == 1


def test_it_changes_nothing_when_the_same_file_is_imported_again() -> None:
    _import(_document())
    audits = _audits()
    stamp = Service.objects.get().updated_at
    result = _import(_document())
    assert result.ok
    assert result.counts["services"] == {"unchanged": 1}
    assert result.counts["categories"] == {"unchanged": 1}
    assert result.counts["life_situations"] == {"unchanged": 1}
    assert Service.objects.get().updated_at == stamp
    assert _audits() == audits
    assert DocumentRequirement.objects.count() == 2


def test_it_updates_a_service_in_place_keyed_by_slug() -> None:
    _import(_document())
    first_id = Service.objects.get().pk
    changed = _import(
        _document(name_de="Personalausweis", requirements=[{"name_de": "Passfoto", "note_de": "biometrisch"}])
    )
    assert changed.counts["services"] == {"updated": 1}
    service = Service.objects.get()
    assert service.pk == first_id and service.name_de == "Personalausweis"
    assert list(service.requirements.values_list("name_de", "note_de")) == [("Passfoto", "biometrisch")]


def test_it_derives_a_missing_slug_from_the_german_name() -> None:
    document = _document()
    del document["services"][0]["slug"]
    assert _import(document).ok
    assert Service.objects.get().slug == "personalausweis-beantragen"


def test_it_imports_the_example_csv_and_is_idempotent() -> None:
    CategoryFactory(slug="meldewesen")
    CategoryFactory(slug="urkunden-und-bescheinigungen")
    LifeSituationFactory(slug="umzug")
    out = StringIO()
    call_command("import_catalog", str(EXAMPLE_CSV), stdout=out)
    assert "3 created" in out.getvalue() or "3 angelegt" in out.getvalue()
    certificate = Service.objects.get(slug="meldebescheinigung-beantragen")
    assert certificate.fee == {"kind": "range", "min": "0.00", "max": "9.00"}
    assert certificate.online_application and certificate.by_appointment and certificate.walk_in
    assert not certificate.by_post
    assert [s.slug for s in certificate.life_situations.all()] == ["umzug"]
    conduct = Service.objects.get(slug="fuehrungszeugnis-beantragen")
    assert conduct.fee == {"kind": "fixed", "amount": "13.00"}
    assert (conduct.level, conduct.online_assurance, conduct.counter_minutes) == ("federal", 3, 5)
    assert Service.objects.get(slug="wohnsitz-abmelden").fee == {"kind": "free"}

    result = import_catalog(read_csv(EXAMPLE_CSV.read_text(encoding="utf-8")))
    assert result.counts["services"] == {"unchanged": 3}


def test_it_reports_every_bad_row_with_its_field_and_writes_nothing() -> None:
    document = _document()
    good = document["services"][0]
    document["services"] = [
        good,
        {**good, "slug": "bad-key", "leika_key": "12345"},
        {**good, "slug": "bad-fee", "fee": {"kind": "fixed", "amount": "zwölf"}},
        {
            **good,
            "slug": "bad-condition",
            "requirements": [{"name_de": "Vollmacht", "condition": {"q": "on_behalf", "op": "eq", "value": True}}],
        },
    ]
    result = _import(document)
    assert not result.ok
    assert {(e.row, e.field) for e in result.errors} == {
        (2, "leika_key"),
        (3, "fee"),
        (4, "requirements[1].condition"),
    }
    assert "on_behalf" in str(next(e for e in result.errors if e.row == 4))
    assert Service.objects.count() == 0
    assert Category.objects.count() == 0
    assert LifeSituation.objects.count() == 0


def test_it_rejects_unknown_fields_categories_and_duplicate_slugs() -> None:
    document = _document(colour="blue", categories=["nowhere"])
    document["services"].append(dict(document["services"][0]))
    errors = {(e.row, e.field) for e in _import(document).errors}
    assert (1, "colour") in errors
    assert (1, "categories") in errors
    assert (2, "slug") in errors


def test_it_makes_the_command_fail_with_line_numbers_for_a_bad_csv(tmp_path: Path) -> None:
    CategoryFactory(slug="meldewesen")
    CategoryFactory(slug="urkunden-und-bescheinigungen")
    LifeSituationFactory(slug="umzug")
    lines = EXAMPLE_CSV.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("99049001000000", "9904900100")
    lines[3] = lines[3].replace(",municipality,", ",parish,")
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_catalog", str(bad), stderr=err)
    report = err.getvalue()
    assert "3" in report and "leika_key" in report
    assert "4" in report and "level" in report
    assert Service.objects.count() == 0


def test_it_counts_but_saves_nothing_on_a_dry_run() -> None:
    result = _import(_document(), dry_run=True)
    assert result.ok and result.counts["services"] == {"created": 1}
    assert Service.objects.count() == 0 and Category.objects.count() == 0


def test_it_reports_a_file_that_is_not_json() -> None:
    result = import_catalog(read_json("{not json"))
    assert not result.ok and result.errors[0].section == "file"
