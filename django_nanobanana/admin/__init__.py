from .assets import AssetVersionInline, GeneratedAssetAdmin

__all__ = ["AssetVersionInline", "GeneratedAssetAdmin"]
