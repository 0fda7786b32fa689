"""The two keys of a request.

- The **cache key**: same model, prompt, parameters and reference contents, same key; the
  prompt cache (:mod:`.prompt_cache`) finds an identical finished original by it.
- The **idempotency key** a client sends, scoped to its user, with the request's
  fingerprint: a replay returns the same version, the same key for a different request is
  a conflict.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from django.utils.translation import gettext as _

from ..exceptions import IdempotencyConflict
from ..models import AssetVersion
from ..providers.models_registry import ModelCapabilities
from .params import GenerationParams


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)


def cache_key(
    params: GenerationParams, capabilities: ModelCapabilities, reference_hashes: Sequence[str]
) -> str:
    """Same model, prompt, parameters and reference contents: same key."""
    return hashlib.sha256(
        _canonical(
            {
                "model": capabilities.id,
                "provider": params.resolved_provider(),
                "prompt": params.prompt,
                "aspect_ratio": params.aspect_ratio or "",
                "image_size": capabilities.effective_size(params.image_size)
                if capabilities.image_sizes
                else "",
                "seed": params.seed,
                "thinking_level": params.thinking_level,
                "grounding": params.grounding or "",
                "references": list(reference_hashes),
                "extra": params.extra,
            }
        ).encode()
    ).hexdigest()


def scoped_idempotency_key(user: Any, key: str | None) -> str | None:
    """Client keys are scoped to their user so two users can never collide."""
    if not key:
        return None
    owner = getattr(user, "pk", None) or "anonymous"
    return hashlib.sha256(f"{owner}|{key}".encode()).hexdigest()


def request_fingerprint(kind: str, asset_id: Any, parent_id: Any, params: GenerationParams) -> str:
    """What makes two requests the same request (not how they are delivered)."""
    data = asdict(params)
    data.pop("use_cache", None)
    data.pop("webhook_url", None)
    data.pop("notices", None)
    if not data.get("grounding"):
        data.pop("grounding", None)  # fingerprints of requests made before grounding existed
    return hashlib.sha256(
        _canonical([kind, str(asset_id), str(parent_id), data]).encode()
    ).hexdigest()


def replay(scoped_key: str, fingerprint: str) -> AssetVersion | None:
    """The version made earlier with this key, or None; :class:`IdempotencyConflict` when
    the key was used for a different request."""
    existing = AssetVersion.objects.filter(idempotency_key=scoped_key).first()
    if existing is None:
        return None
    if (existing.params or {}).get("fingerprint") != fingerprint:
        raise IdempotencyConflict(
            _("This idempotency key was already used for a different request.")
        )
    return existing
