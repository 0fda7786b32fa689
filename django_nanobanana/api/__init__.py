"""The REST API for frontends: DRF views over :mod:`django_nanobanana.services`.

Mount it with ``path("api/nanobanana/", include("django_nanobanana.api.urls"))``; the
endpoints, authentication, error shape and status codes are described in ``docs/api.md``
and in the OpenAPI schema served at ``schema/`` under the mount point.
"""
