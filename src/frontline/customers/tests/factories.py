"""factory_boy factories for the customer UI tests.

Customers are made through ``services.customer_create`` so they have their search document,
normalised contacts and audit row, like real ones. Users come from the accounts factories.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import factory
from django.utils import timezone

from frontline.accounts.tests.factories import PASSWORD, UserFactory
from frontline.customers import services
from frontline.customers.choices import Channel, Direction, InteractionKind
from frontline.customers.models import Customer, Interaction
from frontline.customers.services import AddressInput, ContactInput, CustomerInput

__all__ = ["PASSWORD", "CustomerFactory", "InteractionFactory", "UserFactory"]


class CustomerFactory(factory.Factory[Customer]):
    """``CustomerFactory(first_name="Justine", email="j@example.com", org="Acme", tags=["vip"])``.

    ``email``/``phone`` add primary contacts, ``org`` an organisation by name, ``ext`` external
    ids (``{"shop": "C-1"}``), ``address`` one address (``AddressInput``); ``by`` is the actor.
    """

    class Meta:
        model = CustomerInput

    first_name = factory.Sequence(lambda n: f"Person{n}")
    last_name = factory.Sequence(lambda n: f"Family{n:04d}x")
    email = factory.LazyAttribute(lambda o: f"{o.first_name}.{o.last_name}@example.com".lower())
    phone = ""
    org = ""
    ext: Any = factory.LazyFunction(dict)
    address: Any = None
    by = None

    @classmethod
    def _create(cls, model_class: type[CustomerInput], *args: Any, **kwargs: Any) -> Customer:
        by = kwargs.pop("by")
        contacts = list(kwargs.pop("contacts", []))
        email, phone = kwargs.pop("email"), kwargs.pop("phone")
        if email:
            contacts.insert(0, ContactInput(kind="email", value=email))
        if phone:
            contacts.append(ContactInput(kind="phone", value=phone))
        address: AddressInput | None = kwargs.pop("address")
        kwargs.update(
            contacts=contacts,
            organisation_name=kwargs.pop("org"),
            external_ids=kwargs.pop("ext"),
            addresses=[address] if address else [],
        )
        data = model_class(*args, **kwargs)
        return services.customer_create(by=by, data=data)

    @classmethod
    def _build(cls, model_class: type[CustomerInput], *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("customers are only created, through the service")


class InteractionFactory(factory.Factory[Interaction]):
    """A timeline entry through ``services.interaction_record``; ``customer`` is required."""

    class Meta:
        model = dict

    customer: Any = None
    kind = InteractionKind.CALL
    channel = Channel.PHONE
    direction = Direction.INBOUND
    summary = factory.Sequence(lambda n: f"Call number {n}")
    body = ""
    is_internal = False
    actor = None
    occurred_at = factory.Sequence(lambda n: timezone.now() - timedelta(days=30) + timedelta(minutes=n))

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Interaction:
        customer = kwargs.pop("customer")
        return services.interaction_record(customer_id=customer.pk, **kwargs)
