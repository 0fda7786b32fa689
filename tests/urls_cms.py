from django.contrib import admin
from django.core.files.storage import default_storage
from django.urls import include, path, re_path
from django.views.static import serve
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls

from tests.contrib.testapp.views import article


def media(request, path):
    """Media from wherever the test put the default storage (fixture ``media_root``)."""
    return serve(request, path, document_root=default_storage.location)


urlpatterns = [
    path("admin/nanobanana-chooser/", include("django_nanobanana.chooser.urls")),
    path("admin/", admin.site.urls),
    path("wagtail-admin/", include(wagtailadmin_urls)),
    path("pages/", include(wagtail_urls)),
    path("articles/<int:pk>/", article, name="article"),
    re_path(r"^media/(?P<path>.*)$", media),
    path("", include("cms.urls")),
]
