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

__all__ = ["AssetVersion", "GeneratedAsset", "ReferenceImage", "Rendition", "Source", "State", "VersionKind"]
__all__ += [
    "AuditRecord", "Budget", "BudgetCounter", "BudgetPeriod", "BudgetScope", "EntryKind",
    "LedgerEntry", "Outcome", "UsageTotal",
]
