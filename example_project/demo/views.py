"""The demo's pages: a home page linking every integration, and a plain Django view."""

from django.apps import apps
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse

from django_nanobanana.pictures import prefetch_pictures

from .models import Article


def _wagtail_url() -> str:
    if not apps.is_installed("demo.wagtail_pages"):
        return ""
    from .wagtail_pages.models import GalleryPage

    page = GalleryPage.objects.live().first()
    return page.url if page is not None else ""


def _cms_url() -> str:
    if not apps.is_installed("cms"):
        return ""
    from cms.models import PageContent

    content = PageContent.objects.filter(page__is_home=False).select_related("page").first()
    try:
        return content.page.get_absolute_url(content.language) if content else reverse("pages-root")
    except NoReverseMatch:
        return ""


def home(request):
    return render(
        request,
        "demo/home.html",
        {
            "articles": prefetch_pictures_for_articles(Article.objects.all()[:6]),
            "wagtail_installed": apps.is_installed("django_nanobanana.contrib.wagtail"),
            "wagtail_url": _wagtail_url(),
            "cms_installed": apps.is_installed("django_nanobanana.contrib.djangocms"),
            "cms_url": _cms_url(),
        },
    )


def prefetch_pictures_for_articles(articles):
    """Articles with their hero images' renditions, in a fixed number of queries."""
    from django.db.models import Prefetch

    from django_nanobanana.models import GeneratedAsset

    return articles.prefetch_related(
        Prefetch("hero", queryset=prefetch_pictures(GeneratedAsset.objects.all()))
    )


def article(request, slug):
    item = get_object_or_404(prefetch_pictures_for_articles(Article.objects.all()), slug=slug)
    return render(request, "demo/article.html", {"article": item})
