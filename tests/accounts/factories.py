from __future__ import annotations

import factory

from buergerbuero.accounts.constants import Role, UserKind
from buergerbuero.accounts.models import StaffRole, User

STAFF_PASSWORD = "Korrekt-Pferd-Batterie-42"


class StaffFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = "Sachbearbeitung"
    last_name = factory.Sequence(lambda n: f"Nr. {n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    kind = UserKind.STAFF
    password = factory.django.Password(STAFF_PASSWORD)


class StaffRoleFactory(factory.django.DjangoModelFactory[StaffRole]):
    class Meta:
        model = StaffRole

    user = factory.SubFactory(StaffFactory)
    role = Role.CLERK
    municipality = None
    district = factory.LazyAttribute(lambda r: r.municipality.district)
