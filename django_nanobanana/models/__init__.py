from .assets import (
    AssetVersion,
    GeneratedAsset,
    ReferenceImage,
    Rendition,
    Source,
    State,
    VersionKind,
)
from .budgets import Budget, BudgetCounter, BudgetPeriod, BudgetScope
from .descriptions import DescriptionState, ImageDescription, Review
from .ledger import (
    AuditRecord,
    BatchJob,
    BatchJobState,
    BilledCall,
    EntryKind,
    LedgerEntry,
    Outcome,
    UsageTotal,
)

__all__ = [
    "AssetVersion",
    "AuditRecord",
    "BatchJob",
    "BatchJobState",
    "BilledCall",
    "Budget",
    "BudgetCounter",
    "BudgetPeriod",
    "BudgetScope",
    "DescriptionState",
    "EntryKind",
    "GeneratedAsset",
    "ImageDescription",
    "LedgerEntry",
    "Outcome",
    "ReferenceImage",
    "Rendition",
    "Review",
    "Source",
    "State",
    "UsageTotal",
    "VersionKind",
]
