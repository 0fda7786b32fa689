"""A site's own page showing a model's ``GeneratedAssetField`` (the plain-Django path)."""

from django.shortcuts import get_object_or_404, render

from .models import Article


def article(request, pk: int):
    return render(request, "testapp/article.html", {"article": get_object_or_404(Article, pk=pk)})
