"""Online applications: form definitions, the citizen's drafts and uploads, and the cases staff process.

* ``FormDefinition`` — one version of a service's online form (JSON Schema for the data plus the
  steps and fields that render it; see ``formdef.py``). Kreis-wide: every municipality that takes the
  service online uses the same form. A draft keeps the version it was started on.
* ``Draft`` — a citizen's unfinished application, saved after every step.
* ``Attachment`` — an uploaded file, first on a draft (or a mailbox answer), then on the case.
  Stored outside the web root (``PRIVATE_MEDIA_ROOT``) and served only by a view that checks access.
* ``FilePlan``, ``FilePlanEntry`` and ``FileNumberCounter`` — the Kreis-wide file plan (Aktenplan) and the
  counters that hand out file numbers (``32.11/2026/000123``), claimed under a row lock.
* ``Case`` — a submitted application (Vorgang) in the responsible municipality: the submitted data
  frozen with its SHA-512, the workflow state, assignee, deadline, fee and payment state, decision.
* ``CaseEvent`` (the timeline), ``InternalNote`` (staff only), ``MailboxMessage`` (staff ↔ citizen)
  and ``Handoff`` (a message to another authority: XGewerbeanzeige, FIT-Connect).

Cases and everything hanging off them belong to one municipality (``TenantManager``); citizens reach
their own through ``selectors`` that filter by the citizen explicitly.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.translation import gettext_lazy as _

from buergerbuero.core.tenancy import TenantManager

from .constants import (
    CaseEventKind,
    CaseState,
    Decision,
    Direction,
    FormStatus,
    HandoffKind,
    HandoffState,
    PaymentState,
    ScanStatus,
)


class PrivateStorage(FileSystemStorage):
    """Uploads live under ``PRIVATE_MEDIA_ROOT``, never below a URL the web server serves.

    The root is read from the settings on every use, so tests can point it at a temporary folder.
    """

    @property
    def base_location(self) -> str:
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self) -> str:
        return str(Path(self.base_location).resolve())

    @property
    def base_url(self) -> None:  # type: ignore[override]
        return None


private_storage = PrivateStorage()


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name says nothing about the content or its owner; the original name is a field.
    return f"attachments/{instance.uploaded_at:%Y/%m}/{uuid.uuid4().hex}"


class FormDefinition(models.Model):
    """One version of the online form of a service."""

    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="form_versions")
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=20, choices=FormStatus.choices, default=FormStatus.DRAFT)
    definition = models.JSONField(
        _("definition"), help_text=_("JSON Schema of the data, steps, fields and their texts (see formdef.py)")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("form version")
        verbose_name_plural = _("form versions")
        ordering = ["service", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["service", "version"], name="one_form_version_number_per_service"),
            models.UniqueConstraint(
                fields=["service"],
                condition=models.Q(status=FormStatus.PUBLISHED),
                name="one_published_form_per_service",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} v{self.version}"


class Draft(models.Model):
    """A citizen's unfinished application. Submitting it creates at most one case (``Case.draft_id``)."""

    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True, editable=False)
    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts")
    form = models.ForeignKey(FormDefinition, on_delete=models.PROTECT, related_name="drafts")
    municipality = models.ForeignKey(
        "tenants.Municipality",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The responsible municipality, once the routing field is known"),
    )
    data = models.JSONField(_("data"), default=dict, blank=True)
    step = models.CharField(_("current step"), max_length=50, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)

    class Meta:
        verbose_name = _("draft application")
        verbose_name_plural = _("draft applications")
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["citizen", "-updated_at"], name="drafts_of_citizen")]

    def __str__(self) -> str:
        return f"{self.form} ({self.public_id})"


class FilePlan(models.Model):
    """The Kreis-wide file plan (Aktenplan) and the format of its file numbers."""

    district = models.OneToOneField("tenants.District", on_delete=models.CASCADE, related_name="file_plan")
    number_format = models.CharField(
        _("file number format"),
        max_length=100,
        default="{code}/{year}/{number:06d}",
        help_text=_("Placeholders: {code}, {year}, {number}; e.g. {code}/{year}/{number:06d} gives 32.11/2026/000123"),
    )
    default_code = models.CharField(
        _("code for services not in the plan"), max_length=30, default="00.00", help_text=_("e.g. 00.00")
    )

    class Meta:
        verbose_name = _("file plan")
        verbose_name_plural = _("file plans")

    def __str__(self) -> str:
        return str(self.district)


class FilePlanEntry(models.Model):
    """A group of the file plan, e.g. ``32.11 Gewerbeangelegenheiten``, and the services filed under it."""

    plan = models.ForeignKey(FilePlan, on_delete=models.CASCADE, related_name="entries")
    code = models.CharField(_("file plan code"), max_length=30, help_text=_("e.g. 32.11"))
    title = models.CharField(_("title"), max_length=200)
    services = models.ManyToManyField(
        "catalog.Service", related_name="file_plan_entries", blank=True, verbose_name=_("services")
    )

    class Meta:
        verbose_name = _("file plan entry")
        verbose_name_plural = _("file plan entries")
        ordering = ["plan", "code"]
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="file_plan_code_per_plan")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class FileNumberCounter(models.Model):
    """The last sequence number handed out for one file plan code and year (locked while claiming)."""

    plan = models.ForeignKey(FilePlan, on_delete=models.CASCADE, related_name="counters")
    code = models.CharField(_("file plan code"), max_length=30)
    year = models.PositiveSmallIntegerField(_("year"))
    last_value = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("file number counter")
        verbose_name_plural = _("file number counters")
        constraints = [models.UniqueConstraint(fields=["plan", "code", "year"], name="one_counter_per_code_and_year")]

    def __str__(self) -> str:
        return f"{self.code}/{self.year}: {self.last_value}"


class Case(models.Model):
    """A submitted application (Vorgang) in the responsible municipality."""

    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True, editable=False)
    municipality = models.ForeignKey("tenants.Municipality", on_delete=models.PROTECT, related_name="cases")
    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="cases")
    form = models.ForeignKey(FormDefinition, on_delete=models.PROTECT, related_name="cases")
    file_number = models.CharField(_("file number"), max_length=60, unique=True)
    draft_id = models.UUIDField(
        _("draft"), unique=True, help_text=_("The draft submitted; a repeated submit finds this case")
    )
    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="cases"
    )
    applicant_name = models.CharField(_("applicant"), max_length=200)
    applicant_email = models.EmailField(_("applicant's e-mail"), blank=True)
    language = models.CharField(_("language"), max_length=10, default="de")
    data = models.JSONField(_("submitted data"))
    data_sha512 = models.CharField(_("SHA-512 of the submitted data"), max_length=128)
    state = models.CharField(_("state"), max_length=20, choices=CaseState.choices, default=CaseState.RECEIVED)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("assignee"),
    )
    submitted_at = models.DateTimeField(_("submitted"))
    due_at = models.DateTimeField(_("deadline"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices, blank=True, default="")
    decision_text = models.TextField(_("reasons of the decision"), blank=True)
    legal_basis = models.CharField(
        _("legal basis"), max_length=300, blank=True, help_text=_("Copied from the catalogue when decided")
    )
    fee_amount = models.DecimalField(_("fee (EUR)"), max_digits=10, decimal_places=2, default=Decimal("0.00"))
    payment_state = models.CharField(
        _("payment"), max_length=20, choices=PaymentState.choices, default=PaymentState.NOT_REQUIRED
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = TenantManager("municipality")

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["municipality", "-submitted_at", "-id"], name="inbox_by_submission"),
            models.Index(fields=["municipality", "state", "-submitted_at"], name="inbox_by_state"),
            models.Index(fields=["municipality", "assignee", "state"], name="inbox_by_assignee"),
            models.Index(fields=["municipality", "due_at"], name="inbox_by_deadline"),
            models.Index(fields=["municipality", "state", "due_at"], name="inbox_open_by_deadline"),
            models.Index(fields=["municipality", "service", "state"], name="inbox_by_service"),
            models.Index(fields=["citizen", "-submitted_at"], name="cases_of_citizen"),
        ]

    def __str__(self) -> str:
        return self.file_number


class Attachment(models.Model):
    """An uploaded file. Belongs to its uploader's draft or mailbox answer, and then to the case."""

    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments"
    )
    draft = models.ForeignKey(Draft, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments")
    message = models.ForeignKey(
        "MailboxMessage", on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments"
    )
    field = models.CharField(_("form field"), max_length=100, blank=True)
    file = models.FileField(_("file"), storage=private_storage, upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100, help_text=_("Detected from the content"))
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha512 = models.CharField(_("SHA-512"), max_length=128)
    scan_status = models.CharField(
        _("virus scan"), max_length=20, choices=ScanStatus.choices, default=ScanStatus.PENDING
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class CaseEvent(models.Model):
    """One step in a case's history; those ``visible_to_citizen`` form the citizen's timeline."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=CaseEventKind.choices)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    visible_to_citizen = models.BooleanField(_("shown to the citizen"), default=True)

    objects = TenantManager("case__municipality")

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"


class InternalNote(models.Model):
    """A note staff keep on a case; never shown to the citizen."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    objects = TenantManager("case__municipality")

    class Meta:
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:50]


class MailboxMessage(models.Model):
    """A message in the case's mailbox (Postfach): a question from staff or the citizen's answer."""

    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(_("direction"), max_length=20, choices=Direction.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    objects = TenantManager("case__municipality")

    class Meta:
        verbose_name = _("mailbox message")
        verbose_name_plural = _("mailbox messages")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:50]


class Handoff(models.Model):
    """A message about a case to another authority (Finanzamt, IHK, …) or through FIT-Connect.

    The document is built and stored when the hand-off is created; the outbox delivers it.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="handoffs")
    kind = models.CharField(_("kind"), max_length=30, choices=HandoffKind.choices)
    recipient = models.CharField(_("recipient key"), max_length=50, help_text=_("e.g. finanzamt, ihk, hwk"))
    recipient_name = models.CharField(_("recipient"), max_length=200)
    document = models.TextField(_("document"), help_text=_("The message as sent, e.g. the XGewerbeanzeige XML"))
    state = models.CharField(_("state"), max_length=20, choices=HandoffState.choices, default=HandoffState.PENDING)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    objects = TenantManager("case__municipality")

    class Meta:
        verbose_name = _("hand-off")
        verbose_name_plural = _("hand-offs")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "kind", "recipient"], name="one_handoff_per_recipient"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient_name}"
