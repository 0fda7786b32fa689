"""Create the demo superuser with a fresh random password and print the credentials.

Only for the example project's ``make demo``: there is no fixed default password anywhere.
The password is regenerated on every run, so the printed one is always the valid one.
"""

import os
import secrets

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

SITE_NAME = "django-nanobanana demo"
HOST = "127.0.0.1"
PORT = int(os.environ.get("DEMO_PORT") or 8000)


class Command(BaseCommand):
    help = "Create or reset the 'demo' superuser and print its credentials."

    def handle(self, *args, **options):
        User = get_user_model()
        password = secrets.token_urlsafe(12)
        user, _created = User.objects.get_or_create(
            username="demo", defaults={"email": "demo@example.invalid"}
        )
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        self._name_the_site()
        pages = [self._wagtail_page(), self._cms_page(user)]
        self.stdout.write(
            self.style.SUCCESS(
                "\n  Demo:  http://127.0.0.1:8000/\n"
                "  Admin: http://127.0.0.1:8000/admin/\n"
                "  API:   http://127.0.0.1:8000/api/nanobanana/docs/ (Swagger UI)\n"
                f"  User:  demo\n  Password: {password}\n"
                + "".join(f"  {line}\n" for line in pages if line)
            )
        )

    def _name_the_site(self) -> None:
        """The demo names itself: not "example.com" (django CMS's toolbar) nor "Welcome
        to your new Wagtail site!" (Wagtail's first page)."""
        if apps.is_installed("django.contrib.sites"):
            from django.contrib.sites.models import Site as DjangoSite

            DjangoSite.objects.update_or_create(
                pk=getattr(settings, "SITE_ID", 1),
                defaults={"domain": f"{HOST}:{PORT}", "name": SITE_NAME},
            )
        if apps.is_installed("wagtail"):
            from wagtail.models import Page, Site

            site = Site.objects.filter(is_default_site=True).first()
            if site is not None:
                Site.objects.filter(pk=site.pk).update(
                    site_name=SITE_NAME, hostname=HOST, port=PORT
                )
                root = Page.objects.get(pk=site.root_page_id).specific
                if root.title != SITE_NAME:
                    root.title = SITE_NAME
                    root.draft_title = SITE_NAME
                    root.save(update_fields=["title", "draft_title"])

    def _wagtail_page(self) -> str:
        """The Wagtail gallery page under the default site's root page (once)."""
        if not apps.is_installed("demo.wagtail_pages"):
            return ""
        from wagtail.models import Site

        from demo.wagtail_pages.models import GalleryPage

        if not GalleryPage.objects.exists():
            root = Site.objects.get(is_default_site=True).root_page
            page = root.add_child(
                instance=GalleryPage(title="Generated images on Wagtail", slug="gallery")
            )
            page.save_revision().publish()
        return "Wagtail admin: http://127.0.0.1:8000/wagtail-admin/"

    def _cms_page(self, user) -> str:
        """A django CMS page (with its placeholder) for the "Generated image" plugin (once)."""
        if not apps.is_installed("cms"):
            return ""
        from cms.api import create_page
        from cms.models import Page

        if not Page.objects.exists():
            create_page(
                "Generated images on django CMS",
                "cms_demo.html",
                "en-us",
                slug="generated-images",
                created_by=user,
            )
        return "django CMS page: http://127.0.0.1:8000/cms/generated-images/?edit"
