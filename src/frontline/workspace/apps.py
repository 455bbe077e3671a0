from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "frontline.workspace"
    label = "workspace"
    verbose_name = "Workspace"

    def ready(self) -> None:
        from . import live

        live.connect()
