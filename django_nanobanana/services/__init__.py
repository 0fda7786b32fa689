"""The flows. Admin, REST API, command line and tasks validate input and call these."""

from .assets import (
    delete_asset,
    is_settled,
    make_current,
    rerender_overlay,
    revert,
    validate_overlay,
)
from .params import GenerationParams, edit_params, validate_params
from .references import reference_from_asset, resolve_references, store_reference
from .requests import edit, generate, regenerate
from .transitions import cancel
from .worker import execute_version

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
