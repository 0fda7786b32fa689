from django.contrib import admin

from django_nanobanana.fields import GeneratedAssetFieldsAdminMixin

from .models import Article


@admin.register(Article)
class ArticleAdmin(GeneratedAssetFieldsAdminMixin, admin.ModelAdmin):
    pass
