"""Builders for the submission and payment tests: a complete draft with an uploaded identity card."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from buergerbuero.accounts.models import User
from buergerbuero.applications.models import Draft, FormDefinition
from buergerbuero.applications.services.attachments import store_upload
from buergerbuero.tenants.models import Municipality
from tests.applications.factories import DraftFactory


def png_upload(name: str = "ausweis.png", colour: str = "red") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def ready_draft(citizen: User, form: FormDefinition, municipality: Municipality | None = None, **data: Any) -> Draft:
    """A draft of the sample form, complete (with one uploaded identity card); ``data`` overrides sections."""
    draft: Draft = DraftFactory(citizen=citizen, form=form, municipality=municipality)
    if data:
        draft.data = {**draft.data, **data}
        draft.save(update_fields=["data"])
    store_upload(owner=citizen, upload=png_upload(), field="nachweise.ausweis", draft=draft)
    draft.refresh_from_db()
    return draft
