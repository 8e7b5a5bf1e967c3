from __future__ import annotations

import datetime as dt

import factory

from buergerbuero.tenants.models import Counter, District, Municipality, Office, OpeningHours


class DistrictFactory(factory.django.DjangoModelFactory[District]):
    class Meta:
        model = District
        django_get_or_create = ("ars",)

    name = "Rhein-Kreis Neuss"
    ars = "05162"
    slug = "rhein-kreis-neuss"


class MunicipalityFactory(factory.django.DjangoModelFactory[Municipality]):
    class Meta:
        model = Municipality

    district = factory.SubFactory(DistrictFactory)
    name = factory.Sequence(lambda n: f"Gemeinde {n}")
    slug = factory.Sequence(lambda n: f"gemeinde-{n}")
    ags = factory.Sequence(lambda n: f"0516{n:04d}")
    ars = factory.Sequence(lambda n: f"05162{n:07d}")
    primary_color = "#005a9c"


class OfficeFactory(factory.django.DjangoModelFactory[Office]):
    class Meta:
        model = Office
        skip_postgeneration_save = True

    municipality = factory.SubFactory(MunicipalityFactory)
    name = factory.LazyAttribute(lambda o: f"Bürgerbüro {o.municipality.name}")
    slug = factory.Sequence(lambda n: f"buergerbuero-{n}")
    street = "Rathausplatz"
    house_number = "1"
    postcode = "41564"
    city = factory.LazyAttribute(lambda o: o.municipality.name)

    @factory.post_generation
    def hours(obj: Office, create: bool, extracted: object, **kwargs: object) -> None:  # type: ignore[misc]
        if not create:
            return
        for weekday in range(5):
            OpeningHours.objects.create(office=obj, weekday=weekday, opens=dt.time(8), closes=dt.time(12))
            OpeningHours.objects.create(office=obj, weekday=weekday, opens=dt.time(13), closes=dt.time(16))
        Counter.objects.create(office=obj, name="Platz 1")
        Counter.objects.create(office=obj, name="Platz 2")
