"""Test settings for the CMS integrations: tests/settings.py plus Wagtail and django CMS.

Run separately from the main suite (their ~200 migrations would slow every other test):
``pytest --ds=tests.settings_cms tests/contrib``.
"""

from .settings import *  # noqa: F403
from .settings import INSTALLED_APPS, MIDDLEWARE, TEMPLATES

INSTALLED_APPS = [
    *INSTALLED_APPS,
    "django.contrib.sites",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # django CMS
    "cms",
    "menus",
    "treebeard",
    "sekizai",
    # the integrations and a test app with a Wagtail page model
    "django_nanobanana.contrib.wagtail",
    "django_nanobanana.contrib.djangocms",
    "tests.contrib.testapp",
]
MIDDLEWARE = [
    *MIDDLEWARE,
    "django.middleware.locale.LocaleMiddleware",
    "cms.middleware.user.CurrentUserMiddleware",
    "cms.middleware.page.CurrentPageMiddleware",
    "cms.middleware.toolbar.ToolbarMiddleware",
    "cms.middleware.language.LanguageCookieMiddleware",
]
TEMPLATES = [
    {
        **TEMPLATES[0],
        "DIRS": [__import__("pathlib").Path(__file__).parent / "contrib" / "templates"],
        "OPTIONS": {
            "context_processors": [
                *TEMPLATES[0]["OPTIONS"]["context_processors"],
                "sekizai.context_processors.sekizai",
                "cms.context_processors.cms_settings",
                "django.template.context_processors.i18n",
            ]
        },
    }
]
ROOT_URLCONF = "tests.urls_cms"
SITE_ID = 1
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English")]
USE_I18N = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
X_FRAME_OPTIONS = "SAMEORIGIN"

WAGTAIL_SITE_NAME = "nanobanana tests"
WAGTAILADMIN_BASE_URL = "http://testserver"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}

CMS_CONFIRM_VERSION4 = True
CMS_TEMPLATES = [("cms_page.html", "Page")]
CMS_PLACEHOLDER_CACHE = False
CMS_PAGE_CACHE = False
CMS_PLUGIN_CACHE = False
