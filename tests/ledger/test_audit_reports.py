"""Audit trail, secrets, cache hits, reports, pruning and the two commands."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import uuid
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory, override_settings

from django_nanobanana import ledger
from django_nanobanana.ledger import reports
from django_nanobanana.models import AuditRecord, LedgerEntry, Outcome, UsageTotal
from django_nanobanana.providers import Usage
from tests.helpers import UTC, make_budget, try_reserve

pytestmark = pytest.mark.django_db
KEY = "AIzaSy-very-secret-key-123"


def mask_digits(prompt: str) -> str:
    return "".join("#" if c.isdigit() else c for c in prompt)


SECRET_SETTINGS = {
    "PROVIDERS": {"gemini": {"API_KEY": KEY, "API_KEY_ENV": None}},
    "PROMPT_REDACTOR": "tests.ledger.test_audit_reports.mask_digits",
}


def test_audit_row_redacts_prompt_scrubs_keys_and_hashes_references(alice):
    request = RequestFactory().post("/api/", REMOTE_ADDR="203.0.113.7")
    with override_settings(NANOBANANA=SECRET_SETTINGS):
        record = ledger.record_request(
            user=alice,
            source="api",
            prompt=f"call 555-1234, key {KEY}",
            model="gemini-2.5-flash-image",
            provider="gemini",
            params={
                "aspect_ratio": "16:9",
                "api_key": KEY,
                "note": f"k={KEY}",
                "strength": 0.5,
                "price": Decimal("0.039"),
            },
            references=[b"image-bytes", "ab" * 32],
            version_id=uuid.uuid4(),
            request=request,
            estimated_cost=Decimal("0.04"),
        )
        ledger.record_outcome(
            record.version_id, outcome=Outcome.FAILED, reason=f"403 with key {KEY}", attempts=2
        )
    record.refresh_from_db()
    stored = " ".join(str(v) for v in (record.prompt, record.params, record.reason))
    assert KEY not in stored
    assert record.prompt == "call ###-####, key [redacted]"
    assert "api_key" not in record.params and record.params["note"] == "k=[redacted]"
    assert record.params["strength"] == "0.5" and record.params["price"] == "0.039"
    assert record.reference_hashes == [hashlib.sha256(b"image-bytes").hexdigest(), "ab" * 32]
    assert record.client_ip == "203.0.113.7"
    assert record.outcome == "failed" and record.attempts == 2 and record.completed_at
    assert record.username == "alice"


def test_refused_and_invalid_requests_are_audited(alice):
    make_budget(scope="user", user=alice, amount_limit=Decimal("0.01"))
    exc = try_reserve(alice, "0.05")
    ledger.record_request(
        user=alice, source="cli", prompt="p", model="m", outcome=Outcome.REFUSED, reason=exc.message
    )
    ledger.record_request(
        user=None, source="api", prompt="", outcome=Outcome.INVALID, reason="The prompt is empty."
    )
    rows = list(AuditRecord.objects.order_by("id").values_list("outcome", "reason"))
    assert rows[0][0] == "refused" and rows[0][1].startswith("Over the daily budget for user")
    assert rows[1] == ("invalid", "The prompt is empty.")
    (row,) = reports.usage(group_by=())
    assert row["requests"] == 2 and row["refused"] == 2 and row["cost"] == 0


def test_record_request_is_idempotent_per_version(alice):
    version_id = uuid.uuid4()
    a = ledger.record_request(user=alice, source="api", prompt="x", version_id=version_id)
    b = ledger.record_request(user=alice, source="api", prompt="x", version_id=version_id)
    assert a.pk == b.pk and AuditRecord.objects.count() == 1


def test_cache_hit_is_free_and_records_what_it_avoided(alice):
    version_id = uuid.uuid4()
    ledger.record_request(user=alice, source="admin", prompt="x", model="m", version_id=version_id)
    assert ledger.record_cache_hit(
        version_id, user=alice, avoided=Decimal("0.039"), model="m", source="admin"
    )
    assert not ledger.record_cache_hit(version_id, user=alice, avoided=Decimal("0.039"))
    ledger.record_outcome(version_id, outcome=Outcome.CACHED)
    (row,) = reports.usage(group_by=("user",))
    assert row["cost"] == 0 and row["avoided_cost"] == Decimal("0.039")
    assert row["cached"] == 1 and row["succeeded"] == 1 and row["images"] == 0
    assert AuditRecord.objects.get().avoided_cost == Decimal("0.039")


def make_history(alice, bob):
    """Requests over three days, settled, refunded and cached."""
    days = [dt.datetime(2026, 11, d, 10, 0, tzinfo=UTC) for d in (18, 19, 20)]
    for i, when in enumerate(days):
        for user, model, source, cost in (
            (alice, "gemini-2.5-flash-image", "admin", "0.039"),
            (alice, "gemini-3-pro-image", "api", "0.134448"),
            (bob, "gemini-2.5-flash-image", "cli", "0.040012"),
        ):
            reservation = try_reserve(user, "0.2", now=when, model=model)
            record = ledger.record_request(
                user=user,
                source=source,
                prompt=f"p{i}",
                model=model,
                version_id=reservation.version_id,
            )
            AuditRecord.objects.filter(pk=record.pk).update(created_at=when)
            LedgerEntry.objects.filter(version_id=reservation.version_id).update(source=source)
            if user == bob and i == 1:
                ledger.refund(reservation.version_id)
                ledger.record_outcome(reservation.version_id, outcome=Outcome.FAILED)
            else:
                ledger.settle(reservation.version_id, actual=Decimal(cost))
                ledger.record_outcome(
                    reservation.version_id,
                    outcome=Outcome.SUCCEEDED,
                    usage=Usage(
                        prompt_text_tokens=10 + i, output_image_tokens=1290, thoughts_tokens=7
                    ),
                )
    refused = ledger.record_request(
        user=bob, source="cli", prompt="x", model="gemini-2.5-flash-image", outcome=Outcome.REFUSED
    )
    AuditRecord.objects.filter(pk=refused.pk).update(created_at=days[0])
    return days


def test_usage_by_user_model_and_day(alice, bob):
    make_history(alice, bob)
    by_user = {r["user"]: r for r in reports.usage(group_by=("user",))}
    assert by_user["alice"]["cost"] == 3 * Decimal("0.039") + 3 * Decimal("0.134448")
    assert by_user["alice"]["requests"] == 6 and by_user["alice"]["images"] == 6
    assert by_user["bob"]["cost"] == 2 * Decimal("0.040012")
    assert by_user["bob"]["requests"] == 4 and by_user["bob"]["refused"] == 1
    assert by_user["bob"]["succeeded"] == 2 and by_user["bob"]["images"] == 2
    rows = reports.usage(
        group_by=("day", "model"), since=dt.date(2026, 11, 19), until=dt.date(2026, 11, 19)
    )
    assert [(r["day"], r["model"], r["cost"]) for r in rows] == [
        (dt.date(2026, 11, 19), "gemini-2.5-flash-image", Decimal("0.039000")),
        (dt.date(2026, 11, 19), "gemini-3-pro-image", Decimal("0.134448")),
    ]
    only_bob = reports.usage(user="bob", group_by=("source",))
    assert [(r["source"], r["requests"]) for r in only_bob] == [("cli", 4)]


def test_report_days_follow_the_budget_time_zone(alice, bob):
    make_history(alice, bob)
    AuditRecord.objects.update(created_at=dt.datetime(2026, 11, 20, 2, 0, tzinfo=UTC))
    LedgerEntry.objects.update(occurred_at=dt.datetime(2026, 11, 20, 2, 0, tzinfo=UTC))
    with override_settings(NANOBANANA={"BUDGET_TIME_ZONE": "America/Los_Angeles"}):
        (row,) = reports.usage(group_by=("day",))
    assert row["day"] == dt.date(2026, 11, 19)


def test_pruning_keeps_every_total(alice, bob):
    make_history(alice, bob)
    shapes = [("user",), ("user", "model", "day", "source"), ("day",), ()]
    before = {shape: reports.usage(group_by=shape) for shape in shapes}
    assert ledger.prune_audit(before=dt.datetime(2026, 11, 19, 12, tzinfo=UTC), dry_run=True) == 7
    assert AuditRecord.objects.count() == 10
    pruned = ledger.prune_audit(before=dt.datetime(2026, 11, 19, 12, tzinfo=UTC), batch_size=3)
    assert pruned == 7
    assert AuditRecord.objects.count() == 3
    assert UsageTotal.objects.exists()
    for shape in shapes:
        assert reports.usage(group_by=shape) == before[shape], shape
    # Pruning everything, twice, still changes nothing.
    ledger.prune_audit(before=dt.datetime(2027, 1, 1, tzinfo=UTC))
    ledger.prune_audit(before=dt.datetime(2027, 1, 1, tzinfo=UTC))
    assert not AuditRecord.objects.exists()
    for shape in shapes:
        assert reports.usage(group_by=shape) == before[shape], shape


def test_prune_command(alice, bob):
    make_history(alice, bob)
    out = io.StringIO()
    call_command("nanobanana_prune_audit", "--older-than", "0", "--dry-run", stdout=out)
    assert out.getvalue().startswith("Would prune 10 audit rows")
    assert AuditRecord.objects.count() == 10
    with pytest.raises(CommandError, match="--older-than"):
        call_command("nanobanana_prune_audit")
    with override_settings(NANOBANANA={"AUDIT_RETENTION_DAYS": 0}):
        call_command("nanobanana_prune_audit", stdout=out)
    assert "Pruned 10 audit rows" in out.getvalue()
    assert not AuditRecord.objects.exists()


def test_pending_rows_are_not_pruned(alice):
    ledger.record_request(user=alice, source="api", prompt="x", version_id=uuid.uuid4())
    assert ledger.prune_audit(before=dt.datetime(2100, 1, 1, tzinfo=UTC)) == 0


def test_usage_command_table_and_csv(alice, bob):
    make_history(alice, bob)
    out = io.StringIO()
    call_command("nanobanana_usage", "--by", "user,model", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == [
        "user",
        "model",
        "requests",
        "succeeded",
        "refused",
        "images",
        "cached",
        "cost",
        "avoided_cost",
    ]
    assert lines[2].split() == [
        "alice",
        "gemini-2.5-flash-image",
        "3",
        "3",
        "0",
        "3",
        "0",
        "0.117000",
        "0.000000",
    ]
    assert lines[-1].split() == ["TOTAL", "10", "8", "1", "8", "0", "0.600368", "0.000000"]

    out = io.StringIO()
    call_command(
        "nanobanana_usage",
        "--by",
        "day",
        "--user",
        "alice",
        "--since",
        "2026-11-19",
        "--format",
        "csv",
        stdout=out,
    )
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["day"], r["requests"], r["cost"]) for r in rows] == [
        ("2026-11-19", "2", "0.173448"),
        ("2026-11-20", "2", "0.173448"),
    ]
    assert rows[0]["thoughts_tokens"] == "14"
    with pytest.raises(CommandError, match="cannot group by"):
        call_command("nanobanana_usage", "--by", "planet")


def test_budget_status_and_dashboard(alice, bob, editors):
    make_budget(scope="user", user=alice, amount_limit=Decimal("1"), image_limit=5)
    make_budget(scope="group", group=editors, period="month", amount_limit=Decimal("3"))
    make_budget(scope="user", period="day", image_limit=2, name="each")
    now = dt.datetime.now(UTC)
    r = try_reserve(alice, "0.30", now=now)
    ledger.settle(r.version_id, actual=Decimal("0.25"))
    try_reserve(alice, "0.10", now=now)
    status = {row["name"]: row for row in reports.budget_status(alice, now=now)}
    assert set(status) == {"user-day", "group-month", "each"}
    mine = status["user-day"]
    assert (mine["spent"], mine["reserved"], mine["left"]) == (
        Decimal("0.25"),
        Decimal("0.10"),
        Decimal("0.65"),
    )
    assert (mine["spent_images"], mine["reserved_images"], mine["images_left"]) == (1, 1, 3)
    assert status["each"]["who"] == "alice" and status["each"]["images_left"] == 0
    assert status["group-month"]["resets_at"].day == 1
    bob_status = {row["name"]: row for row in reports.budget_status(bob, now=now)}
    assert bob_status["group-month"]["spent"] == Decimal("0.25")
    assert bob_status["each"]["images_left"] == 2

    data = reports.dashboard(now=now)
    assert data["today"]["cost"] == Decimal("0.25") and data["month"]["images"] == 1
    assert data["top_users"][0]["user"] == "alice"
    assert data["budgets"][0]["name"] == "each"  # the fullest first (2 of 2 images)
    json_rows = reports.to_json(data["by_model"])
    assert json_rows[0]["cost"] == "0.250000"


def test_visible_usage_limits_what_users_see(alice, bob, admin_user):
    from django.core.exceptions import PermissionDenied

    make_history(alice, bob)
    assert {r["user"] for r in reports.visible_usage(alice)} == {"alice"}
    with pytest.raises(PermissionDenied):
        reports.visible_usage(alice, user="bob")
    admin_user.is_staff = True
    assert {r["user"] for r in reports.visible_usage(admin_user)} == {"alice", "bob"}
    assert {r["user"] for r in reports.visible_usage(admin_user, user="bob")} == {"bob"}
