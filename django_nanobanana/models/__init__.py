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
    "AssetVersion", "AuditRecord", "Budget", "BudgetCounter", "BudgetPeriod", "BudgetScope",
    "EntryKind", "GeneratedAsset", "LedgerEntry", "Outcome", "ReferenceImage", "Rendition",
    "Source", "State", "UsageTotal", "VersionKind",
]
