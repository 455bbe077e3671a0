"""ASGI entry point: HTTP through Django (one thread hop per request), WebSockets through Channels."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frontline.config.settings")
django.setup(set_prefix=False)

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.core.handlers.asgi import ASGIHandler  # noqa: E402

from .asgi_http import SyncChainASGIHandler  # noqa: E402
from .routing import websocket_urlpatterns  # noqa: E402

django_asgi_app = (
    ASGIHandler() if os.environ.get("FRONTLINE_ASGI_HANDLER") == "django" else SyncChainASGIHandler()
)

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
