from .assets import (
    AssetVersion,
    GeneratedAsset,
    ReferenceImage,
    Rendition,
    Source,
    State,
    VersionKind,
)
from .ledger import (
    AuditRecord,
    BatchJob,
    BatchJobState,
    BilledCall,
    Budget,
    BudgetCounter,
    BudgetPeriod,
    BudgetScope,
    EntryKind,
    LedgerEntry,
    Outcome,
    UsageTotal,
)

__all__ = [
    "AssetVersion", "AuditRecord", "BatchJob", "BatchJobState", "BilledCall", "Budget",
    "BudgetCounter", "BudgetPeriod", "BudgetScope",
    "EntryKind", "GeneratedAsset", "LedgerEntry", "Outcome", "ReferenceImage", "Rendition",
    "Source", "State", "UsageTotal", "VersionKind",
]
