from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls

urlpatterns = [
    path("admin/nanobanana-chooser/", include("django_nanobanana.chooser.urls")),
    path("admin/", admin.site.urls),
    path("wagtail-admin/", include(wagtailadmin_urls)),
    path("pages/", include(wagtail_urls)),
    *static(settings.MEDIA_URL, document_root=settings.STORAGES["default"]["OPTIONS"]["location"]),
    path("", include("cms.urls")),
]
