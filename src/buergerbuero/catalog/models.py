"""The shared service catalogue of the Kreis and what each municipality makes of it.

The Kreis maintains one catalogue (:class:`Service`, with its document
requirements and questionnaire, grouped by :class:`Category` and
:class:`LifeSituation`); these rows are public. A municipality decides which
services it offers at which offices and may override texts, fees, hours and
contact (:class:`ServiceOffering`); offerings are municipality-owned and reached
through the tenant scope. Conditions, fee rules and questionnaires are data
(JSON) interpreted by the pure modules ``conditions`` and ``fees``.
"""

from __future__ import annotations

import uuid

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from buergerbuero.accounts.constants import AssuranceLevel
from buergerbuero.core.i18n import Localized
from buergerbuero.core.tenancy import TenantManager
from buergerbuero.tenants.constants import Weekday
from buergerbuero.tenants.models import Municipality, Office

from .constants import FeedKind, Level

leika_validator = RegexValidator(r"^99\d{12}$", _("A LeiKa key has 14 digits and starts with 99."))


class Category(models.Model):
    """A topic of the catalogue, e.g. "Ausweise und Pässe"."""

    slug = models.SlugField(_("slug"), unique=True)
    name_de = models.CharField(_("name (German)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    name = Localized()

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "name_de"]

    def __str__(self) -> str:
        return self.name_de


class LifeSituation(models.Model):
    """A Lebenslage that groups services across categories, e.g. "Umzug" or "Kind geboren"."""

    slug = models.SlugField(_("slug"), unique=True)
    name_de = models.CharField(_("name (German)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    summary_de = models.TextField(_("summary (German)"), blank=True)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    name = Localized()
    summary = Localized()

    class Meta:
        verbose_name = _("life situation")
        verbose_name_plural = _("life situations")
        ordering = ["position", "name_de"]

    def __str__(self) -> str:
        return self.name_de


class Service(models.Model):
    """A Verwaltungsleistung of the Kreis catalogue, identified by its LeiKa key.

    ``fee`` is a fee rule (``catalog.fees``), ``questions`` the questionnaire of the
    document checklist (``catalog.conditions``). A service imported from another
    installation's feed has an ``origin_url``; citizens apply there.
    """

    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    leika_key = models.CharField(_("LeiKa key"), max_length=14, db_index=True, validators=[leika_validator])
    name_de = models.CharField(_("name (German)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    summary_de = models.TextField(_("short description (German)"))
    summary_en = models.TextField(_("short description (English)"), blank=True)
    procedure_de = models.TextField(_("what happens (German)"), blank=True)
    procedure_en = models.TextField(_("what happens (English)"), blank=True)
    processing_time_de = models.CharField(_("processing time (German)"), max_length=200, blank=True)
    processing_time_en = models.CharField(_("processing time (English)"), max_length=200, blank=True)
    legal_basis = models.CharField(
        _("legal basis"), max_length=300, blank=True, help_text=_("e.g. § 14 GewO; several separated by semicolons")
    )
    fee = models.JSONField(_("fee rule"), default=dict, blank=True)
    level = models.CharField(_("responsible level"), max_length=20, choices=Level.choices, default=Level.MUNICIPALITY)
    authority_de = models.CharField(
        _("responsible authority (German)"),
        max_length=200,
        blank=True,
        help_text=_("For Land or federal services: the authority, e.g. Bundesamt für Justiz"),
    )
    authority_en = models.CharField(_("responsible authority (English)"), max_length=200, blank=True)
    online_application = models.BooleanField(_("online application"), default=False)
    by_appointment = models.BooleanField(_("by appointment"), default=True)
    walk_in = models.BooleanField(_("walk-in"), default=False)
    by_post = models.BooleanField(_("by post"), default=False)
    online_url = models.URLField(_("online application URL"), blank=True)
    counter_minutes = models.PositiveSmallIntegerField(_("typical counter time (minutes)"), default=15)
    online_assurance = models.PositiveSmallIntegerField(
        _("minimum level of assurance online"), choices=AssuranceLevel.choices, default=AssuranceLevel.SUBSTANTIAL
    )
    keywords = models.TextField(
        _("search words"), blank=True, help_text=_("Everyday words and synonyms citizens search for, comma-separated")
    )
    questions = models.JSONField(_("questionnaire"), default=list, blank=True)
    categories = models.ManyToManyField(Category, related_name="services", blank=True, verbose_name=_("categories"))
    life_situations = models.ManyToManyField(
        LifeSituation, related_name="services", blank=True, verbose_name=_("life situations")
    )
    origin_url = models.URLField(
        _("origin"), blank=True, help_text=_("Set for services imported from another installation's feed")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    name = Localized()
    summary = Localized()
    procedure = Localized()
    processing_time = Localized()
    authority = Localized()

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name_de"]

    def __str__(self) -> str:
        return self.name_de

    @property
    def is_imported(self) -> bool:
        return bool(self.origin_url)


class DocumentRequirement(models.Model):
    """One line of a checklist; ``condition`` (``catalog.conditions``) decides when it applies."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="requirements")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name_de = models.CharField(_("document (German)"), max_length=300)
    name_en = models.CharField(_("document (English)"), max_length=300, blank=True)
    note_de = models.CharField(_("note (German)"), max_length=300, blank=True, help_text=_("e.g. original, not a copy"))
    note_en = models.CharField(_("note (English)"), max_length=300, blank=True)
    condition = models.JSONField(_("condition"), null=True, blank=True, help_text=_("Empty: always required"))

    name = Localized()
    note = Localized()

    class Meta:
        verbose_name = _("document requirement")
        verbose_name_plural = _("document requirements")
        ordering = ["service", "position", "id"]

    def __str__(self) -> str:
        return self.name_de


class ServiceOffering(models.Model):
    """A municipality offers a catalogue service: where, through which channels, with which local texts.

    Empty override fields fall back to the catalogue. ``serves`` names further
    municipalities whose residents this offering is responsible for (e.g. the
    Kreis's foreigners' office for the smaller towns).
    """

    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True, editable=False)
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="offerings")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="offerings")
    offices = models.ManyToManyField(Office, related_name="offerings", blank=True, verbose_name=_("offices"))
    serves = models.ManyToManyField(
        Municipality, related_name="served_by", blank=True, verbose_name=_("also responsible for")
    )
    online_application = models.BooleanField(_("online application"), null=True, blank=True)
    by_appointment = models.BooleanField(_("by appointment"), null=True, blank=True)
    walk_in = models.BooleanField(_("walk-in"), null=True, blank=True)
    by_post = models.BooleanField(_("by post"), null=True, blank=True)
    online_url = models.URLField(_("online application URL"), blank=True)
    name_de = models.CharField(_("name (German)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    summary_de = models.TextField(_("short description (German)"), blank=True)
    summary_en = models.TextField(_("short description (English)"), blank=True)
    procedure_de = models.TextField(_("what happens (German)"), blank=True)
    procedure_en = models.TextField(_("what happens (English)"), blank=True)
    note_de = models.TextField(_("local note (German)"), blank=True)
    note_en = models.TextField(_("local note (English)"), blank=True)
    fee = models.JSONField(_("fee rule"), null=True, blank=True, help_text=_("Empty: the catalogue's fee"))
    contact_phone = models.CharField(_("contact phone"), max_length=50, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = TenantManager("municipality")

    class Meta:
        verbose_name = _("service offering")
        verbose_name_plural = _("service offerings")
        ordering = ["municipality__name", "service__name_de"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "service"], name="one_offering_per_municipality_service")
        ]

    def __str__(self) -> str:
        return f"{self.service} ({self.municipality})"


class OfferingHours(models.Model):
    """Service-specific hours, e.g. the Gewerbeamt only in the mornings; none means the office's hours."""

    offering = models.ForeignKey(ServiceOffering, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    objects = TenantManager("offering__municipality")

    class Meta:
        verbose_name = _("service hours")
        verbose_name_plural = _("service hours")
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(condition=models.Q(opens__lt=models.F("closes")), name="offering_interval_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class PostcodeArea(models.Model):
    """One (postcode, municipality) pair of Germany; a postcode may belong to several municipalities.

    Loaded from ``geo/plz_ags_de.csv`` (© OpenStreetMap contributors, ODbL 1.0).
    """

    postcode = models.CharField(_("postcode"), max_length=5, db_index=True)
    ags = models.CharField(_("municipality key (AGS)"), max_length=8)
    place = models.CharField(_("place"), max_length=200)
    district_name = models.CharField(_("Kreis"), max_length=200, blank=True)
    state_name = models.CharField(_("Land"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("postcode area")
        verbose_name_plural = _("postcode areas")
        ordering = ["postcode", "place"]
        constraints = [models.UniqueConstraint(fields=["postcode", "ags"], name="postcode_area_unique")]

    def __str__(self) -> str:
        return f"{self.postcode} {self.place}"


class CatalogChange(models.Model):
    """The catalogue feed's change log: the latest change of each published record.

    Each write replaces the record's row, so ``seq`` (never reused) orders the
    feed and a reader resuming after a cursor sees each record at most once.
    """

    seq = models.BigAutoField(primary_key=True)
    kind = models.CharField(_("kind"), max_length=20, choices=FeedKind.choices)
    object_id = models.UUIDField(_("record ID"))
    deleted = models.BooleanField(_("deleted"), default=False)
    changed_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("catalogue change")
        verbose_name_plural = _("catalogue changes")
        ordering = ["seq"]
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="one_change_per_record")]

    def __str__(self) -> str:
        return f"{self.seq} {self.kind} {self.object_id}{' (deleted)' if self.deleted else ''}"


class FeedSource(models.Model):
    """Another installation whose catalogue feed this one imports."""

    name = models.CharField(_("name"), max_length=200)
    url = models.URLField(_("base URL"), unique=True, help_text=_("e.g. https://buergerbuero.neuss.de"))
    cursor = models.CharField(_("cursor"), max_length=100, blank=True)
    last_synced_at = models.DateTimeField(_("last synchronised"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("feed source")
        verbose_name_plural = _("feed sources")

    def __str__(self) -> str:
        return self.name


class ImportedRecord(models.Model):
    """Maps a record of a feed source (kind, remote ID) to the local row it was imported into."""

    source = models.ForeignKey(FeedSource, on_delete=models.CASCADE, related_name="records")
    kind = models.CharField(_("kind"), max_length=20, choices=FeedKind.choices)
    remote_id = models.UUIDField(_("remote ID"))
    local_id = models.PositiveBigIntegerField(_("local ID"))

    class Meta:
        verbose_name = _("imported record")
        verbose_name_plural = _("imported records")
        constraints = [
            models.UniqueConstraint(fields=["source", "kind", "remote_id"], name="imported_record_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.remote_id} → {self.local_id}"
