from django.urls import path

from . import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="customer_list"),
    path("new/", views.customer_create, name="customer_create"),
    path("duplicates/", views.duplicate_list, name="duplicate_list"),
    path("organisations/options/", views.organisation_options, name="organisation_options"),
    path("<int:pk>/", views.customer_detail, name="customer_detail"),
    path("<int:pk>/edit/", views.customer_edit, name="customer_edit"),
    path("<int:pk>/interactions/", views.interaction_log, name="interaction_log"),
    path("<int:pk>/contacts/", views.contact_add, name="contact_add"),
    path("<int:pk>/contacts/<int:contact_pk>/remove/", views.contact_remove, name="contact_remove"),
    path("<int:pk>/contacts/<int:contact_pk>/primary/", views.contact_primary, name="contact_primary"),
    path("<int:pk>/addresses/", views.address_add, name="address_add"),
    path("<int:pk>/addresses/<int:address_pk>/remove/", views.address_remove, name="address_remove"),
    path("<int:pk>/external-ids/", views.external_id_set, name="external_id_set"),
    path(
        "<int:pk>/external-ids/<int:external_id_pk>/remove/",
        views.external_id_remove,
        name="external_id_remove",
    ),
    path("<int:pk>/merge/", views.customer_merge, name="customer_merge"),
    path("<int:pk>/merges/<int:merge_pk>/reverse/", views.merge_reverse, name="merge_reverse"),
]
