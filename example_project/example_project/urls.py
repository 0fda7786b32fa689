import importlib.util

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerView

urlpatterns = [
    path("", include("demo.urls")),  # the demo's home page links every integration
    path("admin/nanobanana-chooser/", include("django_nanobanana.chooser.urls")),
    path("admin/", admin.site.urls),
    path("api/nanobanana/", include("django_nanobanana.api.urls")),
    # Swagger UI over the API's own schema (django_nanobanana.api.schema.SchemaView).
    path(
        "api/nanobanana/docs/",
        SpectacularSwaggerView.as_view(url_name="nanobanana-api:schema"),
        name="nanobanana-api-docs",
    ),
    *static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT),
]

# CMS integrations, when installed (docs/integrations.md). django CMS's catch-all goes last.
if importlib.util.find_spec("wagtail"):
    from wagtail import urls as wagtail_urls
    from wagtail.admin import urls as wagtailadmin_urls

    urlpatterns += [
        path("wagtail-admin/", include(wagtailadmin_urls)),
        path("wagtail/", include(wagtail_urls)),
    ]
if importlib.util.find_spec("cms"):
    urlpatterns += [path("cms/", include("cms.urls"))]
