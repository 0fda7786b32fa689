"""Admin: audit, ledger and totals are read-only for everyone; budgets editable with the
``manage_budgets`` permission, validated; settings-declared budgets are read-only."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client, override_settings
from django.urls import reverse

from django_nanobanana import ledger
from django_nanobanana.models import AuditRecord, BatchJob, BilledCall, Budget, LedgerEntry
from tests.helpers import try_reserve

pytestmark = pytest.mark.django_db


def staff(username: str, *perms: str) -> Client:
    user = User.objects.create_user(username, password="pw", is_staff=True)
    for codename in perms:
        user.user_permissions.add(
            Permission.objects.get(codename=codename, content_type__app_label="nanobanana")
        )
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def history(alice):
    reservation = try_reserve(alice, "0.10")
    ledger.record_request(
        user=alice, source="api", prompt="a cat", model="m", version_id=reservation.version_id
    )
    ledger.record_billed_call(reservation.version_id, attempt=1, call=1, cost=Decimal("0.05"))
    ledger.close(reservation.version_id, images=1)
    BatchJob.objects.create(
        name="batches/abc", display_name="django-nanobanana-x", provider="gemini", model="m"
    )
    return reservation


@pytest.mark.parametrize("model", [AuditRecord, LedgerEntry, BilledCall, BatchJob])
def test_audit_and_ledger_are_read_only_even_for_superusers(admin_client, history, model):
    name = model._meta.model_name
    changelist = reverse(f"admin:nanobanana_{name}_changelist")
    response = admin_client.get(changelist)
    assert response.status_code == 200
    assert b"delete_selected" not in response.content
    obj = model.objects.first()
    change = reverse(f"admin:nanobanana_{name}_change", args=[obj.pk])
    page = admin_client.get(change)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content  # a view page, no form to submit
    before = model.objects.count()
    assert admin_client.get(reverse(f"admin:nanobanana_{name}_add")).status_code == 403
    response = admin_client.post(change, {"prompt": "changed", "amount": "0"})
    assert response.status_code == 403
    delete = reverse(f"admin:nanobanana_{name}_delete", args=[obj.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert model.objects.count() == before
    if model is AuditRecord:
        assert AuditRecord.objects.get().prompt == "a cat"


def test_usage_needs_the_view_usage_permission(history):
    url = reverse("admin:nanobanana_auditrecord_changelist")
    assert staff("plain").get(url).status_code == 403
    assert staff("viewer", "view_usage").get(url).status_code == 200


def test_budgets_need_manage_budgets_and_are_validated(editors):
    add = reverse("admin:nanobanana_budget_add")
    assert staff("viewer", "view_usage").get(add).status_code == 403
    client = staff("manager", "manage_budgets")
    data = {
        "name": "team",
        "scope": "group",
        "group": "",
        "user": "",
        "period": "day",
        "amount_limit": "",
        "image_limit": "",
        "is_active": "on",
    }
    response = client.post(add, data)
    assert response.status_code == 200  # redisplayed with errors
    errors = response.context["adminform"].form.errors
    assert "A group budget needs a group." in errors["group"]
    assert "Set a money limit, an image limit, or both." in errors["__all__"]
    response = client.post(add, {**data, "group": editors.pk, "amount_limit": "2.50"})
    assert response.status_code == 302
    budget = Budget.objects.get(name="team")
    assert budget.amount_limit == Decimal("2.50") and budget.group == editors
    change = reverse("admin:nanobanana_budget_change", args=[budget.pk])
    response = client.post(change, {**data, "group": editors.pk, "amount_limit": "3"})
    assert response.status_code == 302
    budget.refresh_from_db()
    assert budget.amount_limit == Decimal("3")


def test_settings_budgets_are_read_only_in_the_admin(alice, admin_client):
    with override_settings(
        NANOBANANA={"BUDGETS": [{"name": "site", "scope": "site", "amount": "9"}]}
    ):
        try_reserve(alice, "0.01", version_id=uuid.uuid4())
        budget = Budget.objects.get(settings_key="site")
        change = reverse("admin:nanobanana_budget_change", args=[budget.pk])
        page = admin_client.get(change)
        assert page.status_code == 200
        assert b'name="amount_limit"' not in page.content
        delete = reverse("admin:nanobanana_budget_delete", args=[budget.pk])
        assert admin_client.post(delete, {"post": "yes"}).status_code == 403
        assert Budget.objects.filter(pk=budget.pk).exists()
        listing = admin_client.get(reverse("admin:nanobanana_budget_changelist"))
        assert b"$0.01 / $9.00" in listing.content


def test_budget_screens_show_what_the_next_reservation_is_checked_against(alice, bob, admin_client):
    """Budgets created mid-window, after $1.05 (alice) and $0.20 (bob) were spent today:
    the dashboard and the budget list show the figures enforcement uses, although no
    counter exists yet (a refused reservation rolls its counter back)."""
    import re

    from django_nanobanana import ledger
    from django_nanobanana.models import BudgetCounter
    from tests.helpers import make_budget

    for user, spent in ((alice, "1.05"), (bob, "0.20")):
        reservation = try_reserve(user, "1.10")
        ledger.settle(reservation.version_id, actual=Decimal(spent))
    site = make_budget(name="site", scope="site", amount_limit=Decimal("1.50"))
    each = make_budget(name="each", scope="user", amount_limit=Decimal("1.00"))

    refused = try_reserve(alice, "0.01")
    assert isinstance(refused, ledger.BudgetExceeded) and refused.budget == each
    assert refused.remaining == Decimal("0")
    assert not BudgetCounter.objects.exists()  # rolled back with the refusal

    page = admin_client.get(reverse("admin:nanobanana_generatedasset_usage"))
    rows = {(row["name"], row["who"]): row for row in page.context["report"]["budgets"]}
    assert rows[("site", site.describe())]["spent"] == Decimal("1.25")
    assert rows[("site", site.describe())]["left"] == Decimal("0.25")
    assert rows[("each", "alice")]["left"] == Decimal("0")
    assert rows[("each", "bob")]["left"] == Decimal("0.80")
    html = page.content.decode()
    for pk, who, spent, left in (
        (site.pk, site.describe(), "$1.25", "$0.25"),
        (each.pk, "alice", "$1.05", "$0.00"),
        (each.pk, "bob", "$0.20", "$0.80"),
    ):
        row = re.search(rf'<tr data-budget="{pk}" data-subject="{who}">(.*?)</tr>', html, re.S)
        assert row is not None, who
        assert f'class="nb-spent">{spent}<' in row.group(1)
        assert f"<strong>{left}</strong>" in row.group(1)

    # ... and the next reservations are checked against exactly these figures
    exc = try_reserve(bob, "0.26")
    assert exc.budget == site and exc.remaining == Decimal("0.25")
    site.amount_limit = Decimal("5")
    site.save()
    exc = try_reserve(bob, "0.81")
    assert exc.budget == each and exc.remaining == Decimal("0.80")
    site.amount_limit = Decimal("0.50")
    site.save()
    exc = try_reserve(bob, "0.01")
    assert exc.budget == site and exc.remaining == Decimal("0")
    listing = admin_client.get(reverse("admin:nanobanana_budget_changelist")).content.decode()
    assert "$1.25 / $0.50" in listing
    assert "$1.25 / $1.00 · (2 users)" in listing
    assert "nothing yet" not in listing
