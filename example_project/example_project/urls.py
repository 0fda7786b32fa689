from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularSwaggerView

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/nanobanana/", include("django_nanobanana.api.urls")),
    # Swagger UI over the API's own schema (django_nanobanana.api.schema.SchemaView).
    path("api/nanobanana/docs/",
         SpectacularSwaggerView.as_view(url_name="nanobanana-api:schema"),
         name="nanobanana-api-docs"),
    *static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT),
]
