from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "frontline.cases"
    label = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        from frontline.core import search

        search.register_kind("case", 2)
        search.register_kind("case_message", 3)

        # The case page: live updates of one case, pushed on its events.
        from frontline.core import live

        from . import receivers
        from .consumers import authorize_case_group

        live.register_live_group("case", authorize_case_group)
        receivers.connect()

        # The queue: lists refresh when cases are created, assigned or change status.
        live.register_live_group(receivers.QUEUE_GROUP, receivers.authorize_queue_group)
        receivers.connect_queue()
        receivers.connect_queue_cache()
        receivers.connect_proactive()
