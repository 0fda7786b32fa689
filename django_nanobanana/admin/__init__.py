from .assets import AssetVersionInline, GeneratedAssetAdmin
from .ledger import AuditRecordAdmin, BudgetAdmin, LedgerEntryAdmin, UsageTotalAdmin

__all__ = ["AssetVersionInline", "GeneratedAssetAdmin"]
__all__ += ["AuditRecordAdmin", "BudgetAdmin", "LedgerEntryAdmin", "UsageTotalAdmin"]
