from django.urls import path

from frontline.core.live import LiveConsumer

websocket_urlpatterns = [
    path("ws/live/<str:group>/", LiveConsumer.as_asgi()),
]
