"""factory_boy factories for accounts. Other apps' tests may use them too."""

from __future__ import annotations

from factory.declarations import LazyAttribute, Sequence, SubFactory
from factory.django import DjangoModelFactory, Password
from factory.faker import Faker

from frontline.accounts.choices import Role
from frontline.accounts.models import Membership, Team, User

PASSWORD = "correct horse battery staple"


class UserFactory(DjangoModelFactory[User]):
    """An active agent with password ``PASSWORD``. Pass ``role=...`` for others."""

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = Sequence(lambda n: f"user{n}")
    email = LazyAttribute(lambda o: f"{o.username}@example.com")
    first_name = Faker("first_name")
    last_name = Faker("last_name")
    role = Role.AGENT
    is_staff = LazyAttribute(lambda o: o.role == Role.ADMIN)
    password = Password(PASSWORD)


class TeamFactory(DjangoModelFactory[Team]):
    class Meta:
        model = Team

    name = Sequence(lambda n: f"Team {n}")
    slug = Sequence(lambda n: f"team-{n}")


class MembershipFactory(DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    team = SubFactory(TeamFactory)
    user = SubFactory(UserFactory)
    is_lead = False
