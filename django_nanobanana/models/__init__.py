from .assets import (
    AssetVersion,
    GeneratedAsset,
    ReferenceImage,
    Rendition,
    Source,
    State,
    VersionKind,
)
from .ledger import AuditRecord, Budget, BudgetCounter, BudgetPeriod, BudgetScope, EntryKind, LedgerEntry, Outcome, UsageTotal  # noqa: E501

__all__ = ["AssetVersion", "GeneratedAsset", "ReferenceImage", "Rendition", "Source", "State", "VersionKind", "AuditRecord", "Budget", "BudgetCounter", "BudgetPeriod", "BudgetScope", "EntryKind", "LedgerEntry", "Outcome", "UsageTotal"]
