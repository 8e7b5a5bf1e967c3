"""Loading the form files never overrides a version that staff published in the back office."""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from buergerbuero.accounts.models import User
from buergerbuero.applications.constants import FormStatus
from buergerbuero.applications.models import FormDefinition
from buergerbuero.applications.selectors_forms import published_form
from buergerbuero.applications.services.forms import create_form_version, load_form_file, publish_form_version
from buergerbuero.tenants.models import Municipality
from tests.applications.factories import SAMPLE_DEFINITION, online_service

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("kreis_scope")]

SLUG = "probe4"


def _write(folder: Path, definition: dict[str, Any]) -> Path:
    path = folder / f"{SLUG}.json"
    path.write_text(json.dumps(definition), encoding="utf-8")
    return path


def _definition(**changes: Any) -> dict[str, Any]:
    return dict(copy.deepcopy(SAMPLE_DEFINITION), service=SLUG, **changes)


def test_it_skips_a_file_equal_to_an_older_version_and_keeps_the_back_office_version_published(
    municipality_a: Municipality, admin_a: User, tmp_path: Path
) -> None:
    service, first = online_service(municipality_a, slug=SLUG)
    staff_version = create_form_version(service=service, definition=_definition(title_de="Vom Amt"), actor=admin_a)
    publish_form_version(staff_version, actor=admin_a)

    loaded = load_form_file(_write(tmp_path, _definition()))  # the file still holds version 1

    assert loaded.pk == first.pk
    assert FormDefinition.objects.filter(service=service).count() == 2
    assert published_form(service) == staff_version
    first.refresh_from_db()
    assert first.status == FormStatus.RETIRED


def test_a_changed_file_becomes_a_draft_when_staff_published_the_current_version(
    municipality_a: Municipality, admin_a: User, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    service, _first = online_service(municipality_a, slug=SLUG)
    staff_version = publish_form_version(
        create_form_version(service=service, definition=_definition(title_de="Vom Amt"), actor=admin_a), actor=admin_a
    )

    with caplog.at_level(logging.WARNING, logger="buergerbuero.applications.services.forms"):
        loaded = load_form_file(_write(tmp_path, _definition(title_de="Aus der Datei")))

    assert (loaded.version, loaded.status, loaded.created_by) == (3, FormStatus.DRAFT, None)
    assert published_form(service) == staff_version
    assert "published in the back office" in caplog.text
    assert f"{SLUG}.json" in caplog.text
    # Loading the same file again adds nothing and still leaves the staff version published.
    assert load_form_file(tmp_path / f"{SLUG}.json").pk == loaded.pk
    assert FormDefinition.objects.filter(service=service).count() == 3
    assert published_form(service) == staff_version


def test_a_changed_file_is_published_when_the_current_version_came_from_a_file(
    municipality_a: Municipality, tmp_path: Path
) -> None:
    _service, first = online_service(municipality_a, slug=SLUG)

    loaded = load_form_file(_write(tmp_path, _definition(title_de="Neu")))

    assert (loaded.version, loaded.status) == (2, FormStatus.PUBLISHED)
    first.refresh_from_db()
    assert first.status == FormStatus.RETIRED


def test_a_known_version_is_published_when_nothing_is_published(municipality_a: Municipality, tmp_path: Path) -> None:
    service, first = online_service(municipality_a, slug=SLUG)
    FormDefinition.objects.filter(pk=first.pk).update(status=FormStatus.RETIRED)

    assert load_form_file(_write(tmp_path, _definition()), publish=False).status == FormStatus.RETIRED
    loaded = load_form_file(tmp_path / f"{SLUG}.json")

    assert (loaded.pk, loaded.status) == (first.pk, FormStatus.PUBLISHED)
    assert FormDefinition.objects.filter(service=service).count() == 1
