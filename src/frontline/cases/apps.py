from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "frontline.cases"
    label = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        from frontline.core import search

        search.register_kind("case", 2)
        search.register_kind("case_message", 3)
