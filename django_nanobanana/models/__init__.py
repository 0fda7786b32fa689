from .assets import (
    AssetVersion,
    GeneratedAsset,
    ReferenceImage,
    Rendition,
    Source,
    State,
    VersionKind,
)

__all__ = ["AssetVersion", "GeneratedAsset", "ReferenceImage", "Rendition", "Source", "State", "VersionKind"]
