"""Mount with ``path("api/nanobanana/", include("django_nanobanana.api.urls"))``.

URL names live in the ``nanobanana-api`` namespace (``nanobanana-api:asset-detail``).
"""

from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .schema import SchemaView
from .views import AssetViewSet, ModelsView, ReferenceViewSet, UsageView, VersionViewSet

app_name = "nanobanana-api"

router = SimpleRouter()
router.register("assets", AssetViewSet, basename="asset")
router.register("versions", VersionViewSet, basename="version")
router.register("references", ReferenceViewSet, basename="reference")

urlpatterns = [
    path("", include(router.urls)),
    path("usage/", UsageView.as_view(), name="usage"),
    path("models/", ModelsView.as_view(), name="models"),
    path("schema/", SchemaView.as_view(), name="schema"),
]
