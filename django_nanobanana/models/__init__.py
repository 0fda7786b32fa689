from .assets import (
    AssetVersion,
    GeneratedAsset,
    ReferenceImage,
    Rendition,
    Source,
    State,
    VersionKind,
)
from .descriptions import DescriptionState, ImageDescription, Review
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
    "BudgetCounter", "BudgetPeriod", "BudgetScope", "DescriptionState", "ImageDescription",
    "Review",
    "EntryKind", "GeneratedAsset", "LedgerEntry", "Outcome", "ReferenceImage", "Rendition",
    "Source", "State", "UsageTotal", "VersionKind",
]
