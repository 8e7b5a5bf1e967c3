from __future__ import annotations

import factory

from buergerbuero.catalog.models import Category, DocumentRequirement, LifeSituation, Service, ServiceOffering
from tests.tenants.factories import MunicipalityFactory


class CategoryFactory(factory.django.DjangoModelFactory[Category]):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"kategorie-{n}")
    name_de = factory.Sequence(lambda n: f"Kategorie {n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")


class LifeSituationFactory(factory.django.DjangoModelFactory[LifeSituation]):
    class Meta:
        model = LifeSituation
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"lebenslage-{n}")
    name_de = factory.Sequence(lambda n: f"Lebenslage {n}")
    name_en = factory.Sequence(lambda n: f"Life situation {n}")


class ServiceFactory(factory.django.DjangoModelFactory[Service]):
    class Meta:
        model = Service

    slug = factory.Sequence(lambda n: f"leistung-{n}")
    leika_key = "99115003000000"
    name_de = factory.Sequence(lambda n: f"Leistung {n}")
    name_en = factory.Sequence(lambda n: f"Service {n}")
    summary_de = "Eine Leistung der Verwaltung."
    summary_en = "A service of the administration."
    legal_basis = "§ 18 BMG"
    fee = factory.LazyFunction(lambda: {"kind": "fixed", "amount": "10.00"})
    counter_minutes = 10


class DocumentRequirementFactory(factory.django.DjangoModelFactory[DocumentRequirement]):
    class Meta:
        model = DocumentRequirement

    service = factory.SubFactory(ServiceFactory)
    position = factory.Sequence(lambda n: n)
    name_de = factory.Sequence(lambda n: f"Dokument {n}")
    name_en = factory.Sequence(lambda n: f"Document {n}")
    condition = None


class ServiceOfferingFactory(factory.django.DjangoModelFactory[ServiceOffering]):
    """Needs an active tenant scope (``kreis_scope`` or ``tenant_scope``) like every municipality-owned row."""

    class Meta:
        model = ServiceOffering
        skip_postgeneration_save = True

    municipality = factory.SubFactory(MunicipalityFactory)
    service = factory.SubFactory(ServiceFactory)

    @factory.post_generation
    def offices(obj: ServiceOffering, create: bool, extracted: object, **kwargs: object) -> None:  # type: ignore[misc]
        if create and extracted:
            obj.offices.set(extracted)  # type: ignore[arg-type]
