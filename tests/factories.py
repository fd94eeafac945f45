"""factory-boy factories shared by the whole suite."""

from __future__ import annotations

import uuid

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from channels_app.base import InboundMessage, Sender
from inbox.models import Channel, Customer, Identity, Message, Queue, Ticket


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"agent{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-1")

    @factory.post_generation
    def queues(self, create, extracted, **kwargs):
        if create and extracted:
            for queue in extracted:
                queue.members.add(self)
        if create:
            self.save()


class SupervisorFactory(UserFactory):
    username = factory.Sequence(lambda n: f"supervisor{n}")

    @factory.post_generation
    def supervisor_group(self, create, extracted, **kwargs):
        if create:
            self.groups.add(Group.objects.get_or_create(name="supervisors")[0])


class QueueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Queue
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Faker("name")


class IdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Identity

    customer = factory.SubFactory(CustomerFactory)
    kind = Identity.Kind.EMAIL
    value = factory.Sequence(lambda n: f"customer{n}@example.org")


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    customer = factory.SubFactory(CustomerFactory)
    queue = factory.SubFactory(QueueFactory)
    subject = factory.Faker("sentence", nb_words=5)
    origin_channel = Channel.WEB


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    ticket = factory.SubFactory(TicketFactory)
    direction = Message.Direction.IN
    channel = Channel.WEB
    body = factory.Faker("paragraph")
    provider_id = factory.LazyFunction(lambda: uuid.uuid4().hex)


def inbound(**overrides) -> InboundMessage:
    """An InboundMessage as a channel adapter would produce it."""
    values = {
        "channel": Channel.SMS,
        "provider_id": "SM" + uuid.uuid4().hex,
        "body": "My bill shows data charges I did not make.",
        "senders": (Sender(kind="phone", value="+31612345678"),),
        "received_at": timezone.now(),
    }
    values.update(overrides)
    return InboundMessage(**values)
