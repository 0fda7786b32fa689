"""URLs of the chooser popup: ``path("<prefix>/", include("django_nanobanana.chooser.urls"))``."""

from django.urls import path

from . import views

app_name = "nanobanana_chooser"

urlpatterns = [
    path("", views.choose, name="choose"),
    path("generate/", views.generate, name="generate"),
    path("status/<uuid:pk>/", views.status, name="status"),
]
