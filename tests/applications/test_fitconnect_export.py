"""Staff download a case as a FIT-Connect ZIP; staff of another municipality get 404."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from buergerbuero.accounts.models import User
from buergerbuero.core.models import AuditEntry
from buergerbuero.tenants.models import Municipality
from tests.applications.fitconnect_cases import PDF, PNG, SampleCase, sample_case
from tests.harness.staff import StaffClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def sample(municipality_a: Municipality, kreis_scope: None, settings: Any, tmp_path: Path) -> SampleCase:
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    return sample_case(municipality_a)


def url(municipality: Municipality, sample: SampleCase) -> str:
    return reverse(
        "exports:fitconnect", kwargs={"municipality_slug": municipality.slug, "case_id": sample.case.public_id}
    )


def test_a_clerk_downloads_the_envelope(
    staff_client: StaffClient, clerk_a: User, municipality_a: Municipality, sample: SampleCase
) -> None:
    response = staff_client(clerk_a).get(url(municipality_a, sample))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="fitconnect-32.11-2026-{sample.case.file_number[-6:]}.zip"'
    )
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    assert names[:2] == ["metadata.json", "data.json"]
    metadata = json.loads(archive.read("metadata.json"))
    data = archive.read("data.json")
    assert metadata["contentStructure"]["data"]["hash"]["content"] == hashlib.sha512(data).hexdigest()
    assert json.loads(data) == sample.case.data
    assert archive.read("attachments/Personalausweis_Vorderseite.pdf") == PDF
    assert archive.read("attachments/Rueckseite.png") == PNG
    receipt = [name for name in names if name.startswith("attachments/Eingangsbestaetigung-")]
    assert len(receipt) == 1 and archive.read(receipt[0]).startswith(b"%PDF")
    hashes = {item["filename"]: item["hash"]["content"] for item in metadata["contentStructure"]["attachments"]}
    assert hashes["Rückseite.png"] == hashlib.sha512(PNG).hexdigest()
    assert AuditEntry._base_manager.filter(action="applications.case.exported", actor=clerk_a).count() == 1


def test_staff_of_another_municipality_get_404(
    staff_client: StaffClient,
    clerk_b: User,
    municipality_a: Municipality,
    municipality_b: Municipality,
    sample: SampleCase,
) -> None:
    client = staff_client(clerk_b)
    assert client.get(url(municipality_a, sample)).status_code == 404
    assert client.get(url(municipality_b, sample)).status_code == 404  # their own slug, but not their case


def test_citizens_and_visitors_do_not_get_it(client: Any, municipality_a: Municipality, sample: SampleCase) -> None:
    response = client.get(url(municipality_a, sample))
    assert response.status_code == 302 and "/backoffice/" in response["Location"]
