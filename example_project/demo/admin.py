from django.contrib import admin

from django_nanobanana.fields import GeneratedAssetFieldsAdminMixin

from .models import Article


@admin.register(Article)
class ArticleAdmin(GeneratedAssetFieldsAdminMixin, admin.ModelAdmin):
    # The mixin: "hero" accepts (and its chooser shows) only images the editor may see.
    list_display = ("title", "slug", "created_at")
    prepopulated_fields = {"slug": ("title",)}
    fields = ("title", "slug", "summary", "hero")  # "hero": the generated-image chooser
