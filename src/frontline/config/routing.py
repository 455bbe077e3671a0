from django.urls import path

from frontline.cases.consumers import CasePresenceConsumer
from frontline.core.live import LiveConsumer

websocket_urlpatterns = [
    path("ws/live/<str:group>/", LiveConsumer.as_asgi()),
    path("ws/cases/<str:reference>/presence/", CasePresenceConsumer.as_asgi()),
]
