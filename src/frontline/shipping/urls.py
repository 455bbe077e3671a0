from django.urls import URLPattern, URLResolver

app_name = "shipping"

urlpatterns: list[URLPattern | URLResolver] = []
