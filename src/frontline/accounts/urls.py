from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/code/", views.login_verify, name="login_verify"),
    path("logout/", views.logout_view, name="logout"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/", views.token_create, name="token_create"),
    path("profile/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("profile/two-factor/setup/", views.totp_setup, name="totp_setup"),
    path("profile/two-factor/confirm/", views.totp_confirm, name="totp_confirm"),
    path("profile/two-factor/disable/", views.totp_disable, name="totp_disable"),
]
