"""Serializers: input validation of the API's requests and the shapes of its answers.

Input serializers check types and sizes only; the rules (ratios, sizes and reference
limits of the model, prompt length, overlay spec, budgets) are checked by the services,
whose errors the API reports in the same shape as these.

One module per subject: :mod:`.common` (route URLs, ``?fields=``, limits, small nested
shapes), :mod:`.versions`, :mod:`.assets`, :mod:`.generation` (create, regenerate, edit),
:mod:`.overlays`, :mod:`.references`, :mod:`.descriptions`, :mod:`.usage` (usage and
budgets), :mod:`.registry` (the models endpoint) and :mod:`.errors`. Everything is
importable from here.
"""

from .assets import (
    AssetSerializer,
    AssetUpdateSerializer,
    GenerationAcceptedSerializer,
    RevertSerializer,
)
from .common import (
    MAX_REFERENCES,
    MONEY,
    SEED_MAX,
    SEED_MIN,
    URL_NAMESPACE,
    CropSerializer,
    FocalPointSerializer,
    OwnerSerializer,
    PictureSourceSerializer,
    RenditionSerializer,
    absolute_url,
    api_url,
    requested_fields,
)
from .descriptions import AcceptDescriptionSerializer, DescriptionSerializer
from .errors import BudgetDetailSerializer, ErrorBodySerializer, ErrorSerializer
from .generation import EditSerializer, GenerateSerializer, RegenerateSerializer
from .overlays import OVERLAY_SCHEMA, OverlayField, OverlayInputSerializer
from .references import (
    ReferenceIdsField,
    ReferenceSerializer,
    ReferenceUploadSerializer,
    references_field,
)
from .registry import DimensionSerializer, ModelSerializer, PricesSerializer
from .usage import (
    GROUP_CHOICES,
    BudgetStatusSerializer,
    UsageQuerySerializer,
    UsageRowSerializer,
    UsageSerializer,
)
from .versions import VersionSerializer, VersionSummarySerializer

__all__ = [
    "GROUP_CHOICES",
    "MAX_REFERENCES",
    "MONEY",
    "OVERLAY_SCHEMA",
    "SEED_MAX",
    "SEED_MIN",
    "URL_NAMESPACE",
    "AcceptDescriptionSerializer",
    "AssetSerializer",
    "AssetUpdateSerializer",
    "BudgetDetailSerializer",
    "BudgetStatusSerializer",
    "CropSerializer",
    "DescriptionSerializer",
    "DimensionSerializer",
    "EditSerializer",
    "ErrorBodySerializer",
    "ErrorSerializer",
    "FocalPointSerializer",
    "GenerateSerializer",
    "GenerationAcceptedSerializer",
    "ModelSerializer",
    "OverlayField",
    "OverlayInputSerializer",
    "OwnerSerializer",
    "PictureSourceSerializer",
    "PricesSerializer",
    "ReferenceIdsField",
    "ReferenceSerializer",
    "ReferenceUploadSerializer",
    "RegenerateSerializer",
    "RenditionSerializer",
    "RevertSerializer",
    "UsageQuerySerializer",
    "UsageRowSerializer",
    "UsageSerializer",
    "VersionSerializer",
    "VersionSummarySerializer",
    "absolute_url",
    "api_url",
    "references_field",
    "requested_fields",
]
