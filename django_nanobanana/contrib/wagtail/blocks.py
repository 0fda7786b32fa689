"""``GeneratedAssetChooserBlock``: a generated image in a StreamField.

::

    from django_nanobanana.contrib.wagtail.blocks import GeneratedAssetChooserBlock

    body = StreamField([("image", GeneratedAssetChooserBlock(sizes="50vw"))])

``{% include_block block %}`` renders the responsive ``<picture>``; ``value`` is the
:class:`~django_nanobanana.models.GeneratedAsset` (use ``{% nanobanana_picture value %}``
in a custom template).
"""

from __future__ import annotations

from typing import Any

from .. import require

require("wagtail")

from django.core.exceptions import ValidationError  # noqa: E402
from django.utils.safestring import SafeString  # noqa: E402
from django.utils.translation import gettext_lazy as _  # noqa: E402

from ...access import may_view  # noqa: E402
from ...chooser.core import asset_summary  # noqa: E402
from ...models import GeneratedAsset  # noqa: E402
from ...pictures import prefetch_pictures  # noqa: E402
from ...services.descriptions import alt_text_for  # noqa: E402
from ...templatetags.nanobanana import nanobanana_picture  # noqa: E402
from . import editing  # noqa: E402
from .viewsets import chooser_viewset  # noqa: E402

_BaseBlock = chooser_viewset.get_block_class(
    name="BaseGeneratedAssetChooserBlock", module_path="django_nanobanana.contrib.wagtail.blocks"
)


class GeneratedAssetChooserBlock(_BaseBlock):  # type: ignore[misc, valid-type]
    def __init__(
        self,
        required: bool = True,
        help_text: str | None = None,
        sizes: str | None = None,
        **kwargs: Any,
    ) -> None:
        if sizes is not None:
            kwargs["sizes"] = sizes
        super().__init__(required=required, help_text=help_text, **kwargs)

    def clean(self, value: Any) -> Any:
        """The access policy's rule for the editor saving the page (:mod:`.editing`): an
        image they may not see is refused, unless the page already showed it."""
        value = super().clean(value)
        editor = editing.current()
        if (
            value is not None
            and editor is not None
            and not may_view(editor.user, value)
            and str(value.pk) not in editor.placed
        ):
            raise ValidationError(
                _("Choose a generated image you may see; this one is not available to you."),
                code="invalid_choice",
            )
        return value

    def get_prep_value(self, value: Any) -> Any:
        # UUID primary keys: stored as strings in the StreamField's JSON.
        prepared = super().get_prep_value(value)
        return str(prepared) if prepared is not None else None

    def bulk_to_python(self, values: Any) -> list[GeneratedAsset | None]:
        """All the stream's assets with their renditions in a fixed number of queries."""
        keys = [str(v) for v in values if v]
        assets = {
            str(a.pk): a for a in prefetch_pictures(GeneratedAsset.objects.filter(pk__in=keys))
        }
        return [assets.get(str(v)) if v else None for v in values]

    def render_basic(self, value: GeneratedAsset | None, context: Any = None) -> SafeString | str:
        if value is None:
            return ""
        return nanobanana_picture(value, sizes=self.meta.sizes)

    def get_api_representation(self, value: Any, context: Any = None) -> Any:
        if value is None:
            return None
        # Headless pages get the alt text pages use (language, reviewed or allowed suggestion).
        return {**asset_summary(value), "alt": alt_text_for(value)}

    class Meta:
        icon = "image"
        sizes = "100vw"
