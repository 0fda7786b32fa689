"""The flows. Admin, REST API, command line and tasks validate input and call these."""

from .assets import (
    delete_asset,
    is_settled,
    make_current,
    rerender_overlay,
    revert,
    validate_overlay,
)
from .generation import (
    GenerationParams,
    cancel,
    edit,
    edit_params,
    execute_version,
    generate,
    regenerate,
    validate_params,
)
from .references import reference_from_asset, resolve_references, store_reference

__all__ = [
    "GenerationParams",
    "cancel",
    "delete_asset",
    "edit",
    "edit_params",
    "execute_version",
    "generate",
    "is_settled",
    "make_current",
    "reference_from_asset",
    "regenerate",
    "rerender_overlay",
    "resolve_references",
    "revert",
    "store_reference",
    "validate_overlay",
    "validate_params",
]
