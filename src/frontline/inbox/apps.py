from django.apps import AppConfig


class InboxConfig(AppConfig):
    """Every way a message comes in: the public web form, the agents' phone-call log and (later)
    email, chat and social adapters, all through ``services.message_receive``."""

    name = "frontline.inbox"
    label = "inbox"
    verbose_name = "Inbox"
