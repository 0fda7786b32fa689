"""Settled costs equal tokens x registry price, from real responses of the fake server."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from PIL import Image

from django_nanobanana import ledger
from django_nanobanana.ledger import reports
from django_nanobanana.models import AuditRecord, EntryKind, LedgerEntry
from django_nanobanana.providers import ImageRequest, ReferenceImage, get_provider
from django_nanobanana.providers.models_registry import BUILTIN_MODELS, get_model
from tests.helpers import make_budget, try_reserve

pytestmark = pytest.mark.django_db

CASES = [
    (model.id, size)
    for model in BUILTIN_MODELS.values()
    if not model.is_retired
    for size in (model.image_sizes or (None,))
]


def png(color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(("model_id", "size"), CASES)
def test_settled_cost_is_tokens_times_price(nanobanana_fake, alice, model_id, size):
    result = get_provider().generate(
        ImageRequest(
            prompt="A lighthouse on a cliff at dawn, long exposure",
            model=model_id,
            aspect_ratio="16:9",
            image_size=size,
            references=[ReferenceImage(data=png(), mime_type="image/png")],
        )
    )
    assert result.outcome == "succeeded"
    usage = result.usage
    capabilities = get_model(model_id)
    prices = capabilities.prices
    # The response really carries every kind of billed token.
    assert usage.prompt_text_tokens > 0
    assert usage.prompt_image_tokens == capabilities.input_image_tokens
    assert usage.output_image_tokens == capabilities.output_image_tokens[size or "1K"]
    if capabilities.thinks:
        assert usage.thoughts_tokens > 0
    exact = (
        usage.prompt_text_tokens * prices.input_text
        + usage.prompt_image_tokens * prices.input_image
        + (usage.output_text_tokens + usage.thoughts_tokens) * prices.output_text
        + usage.output_image_tokens * prices.output_image
    ) / Decimal(1_000_000)
    expected = exact.quantize(Decimal("0.000001"))
    assert abs(expected - exact) <= Decimal("0.0000005")
    actual = capabilities.cost_from_usage(usage)
    assert isinstance(actual, Decimal) and actual == expected

    budget = make_budget(scope="site", amount_limit=Decimal("5"))
    estimate = capabilities.estimate_cost(image_size=size, prompt_chars=45, reference_count=1)
    reservation = try_reserve(alice, estimate, model=model_id)
    ledger.record_request(
        user=alice,
        source="api",
        prompt="A lighthouse",
        model=model_id,
        version_id=reservation.version_id,
        estimated_cost=estimate,
    )
    assert ledger.settle(reservation.version_id, actual=actual)
    ledger.record_outcome(
        reservation.version_id,
        outcome="succeeded",
        usage=usage,
        latency_ms=result.latency_ms,
        attempts=1,
        response_id=result.response_id or "",
    )

    entry = LedgerEntry.objects.get(version_id=reservation.version_id, kind=EntryKind.SETTLE)
    assert entry.amount == expected
    counter = budget.counters.get()
    assert counter.spent == expected and counter.reserved == 0
    audit = AuditRecord.objects.get(version_id=reservation.version_id)
    assert audit.cost == expected
    assert audit.thoughts_tokens == usage.thoughts_tokens
    assert audit.prompt_image_tokens == usage.prompt_image_tokens
    assert audit.response_id == result.response_id
    (row,) = reports.usage(group_by=("model",))
    assert row["cost"] == expected and row["images"] == 1 and row["requests"] == 1
    assert row["thoughts_tokens"] == usage.thoughts_tokens


ESTIMATE_CASES = CASES  # every model, Pro included: 3.x models always think


@pytest.mark.parametrize(("model_id", "size"), ESTIMATE_CASES)
def test_estimate_covers_the_real_cost_of_a_plain_request(nanobanana_fake, model_id, size):
    """The reservation holds at least what a typical call costs, so a budget binds."""
    capabilities = get_model(model_id)
    prompt = "A red bicycle leaning on a wall"
    result = get_provider().generate(ImageRequest(prompt=prompt, model=model_id, image_size=size))
    assert capabilities.cost_from_usage(result.usage) <= capabilities.estimate_cost(
        image_size=size, prompt_chars=len(prompt)
    )
