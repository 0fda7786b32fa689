from .assets import AssetVersion, GeneratedAsset, Rendition, Source, State, VersionKind

__all__ = ["AssetVersion", "GeneratedAsset", "Rendition", "Source", "State", "VersionKind"]
