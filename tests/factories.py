"""factory_boy factories for regions, schools and people."""

from typing import Any

import factory

from lms.accounts.models import Locality, Region, Role, School, User

TEST_PASSWORD = "a-Long-test-passphrase-2026"


class RegionFactory(factory.django.DjangoModelFactory[Region]):
    class Meta:
        model = Region

    name = factory.Sequence(lambda n: f"Region {n}")
    code = factory.Sequence(lambda n: f"region-{n}")
    time_zone = "Asia/Bishkek"


class SchoolFactory(factory.django.DjangoModelFactory[School]):
    class Meta:
        model = School

    region = factory.SubFactory(RegionFactory)
    name = factory.Sequence(lambda n: f"School {n}")
    code = factory.Sequence(lambda n: f"school-{n}")
    locality = Locality.RURAL
    languages = factory.LazyFunction(lambda: ["ky", "ru"])
    time_zone = "Asia/Bishkek"


class UserFactory(factory.django.DjangoModelFactory[User]):
    """A person with a usable password (TEST_PASSWORD). Pass role=..., school=... or region=..."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.STUDENT
    school = factory.SubFactory(SchoolFactory)
    region = None

    @factory.post_generation
    def password(self, create: bool, extracted: str | None, **kwargs: Any) -> None:
        self.set_password(extracted or TEST_PASSWORD)
        if create:
            self.save(update_fields=["password"])


def make_person(role: Role, *, school: School | None = None, region: Region | None = None) -> User:
    """A person of ``role`` placed where that role belongs."""
    if role == Role.PLATFORM_ADMIN:
        return UserFactory(role=role, school=None, is_superuser=True, is_staff=True)
    if role == Role.REGION_ADMIN:
        return UserFactory(role=role, school=None, region=region or RegionFactory())
    return UserFactory(role=role, school=school or SchoolFactory())
