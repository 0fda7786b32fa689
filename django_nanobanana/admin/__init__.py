from .assets import GeneratedAssetAdmin
from .ledger import AuditRecordAdmin, BudgetAdmin, LedgerEntryAdmin, UsageTotalAdmin

__all__ = ["GeneratedAssetAdmin"]
__all__ += ["AuditRecordAdmin", "BudgetAdmin", "LedgerEntryAdmin", "UsageTotalAdmin"]
