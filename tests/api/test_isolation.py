"""Nothing leaks between users: the prompt cache is per owner, usage shows your own figures."""

from __future__ import annotations

from decimal import Decimal

import pytest

from django_nanobanana.models import AssetVersion, Budget, State
from django_nanobanana.services import execute_version
from tests.helpers import API, client_for

pytestmark = pytest.mark.django_db

BODY = {"prompt": "A harbour at dawn", "aspect_ratio": "16:9", "image_size": "1K"}


def _alice_generates(api, generation) -> AssetVersion:
    created = api.post(f"{API}/assets/", BODY, format="json")
    assert created.status_code == 202, created.content
    version = execute_version(created.json()["version"]["id"])
    assert version.state == State.SUCCEEDED and version.model_text
    return version


# -- prompt cache (issue 13, hole 4) ------------------------------------------------------------


def test_prompt_cache_is_per_owner_by_default(generation, api, alice, bob):
    alices = _alice_generates(api, generation)
    response = client_for(bob).post(f"{API}/assets/", BODY, format="json")
    assert response.status_code == 202
    data = response.json()["version"]
    assert data["state"] == "queued" and data["reused_from"] is None
    bobs = AssetVersion.objects.get(pk=data["id"])
    assert bobs.reused_from_id is None and bobs.model_text == "" and bobs.sha256 == ""
    assert len(generation.generate_requests()) == 1  # Bob's call still to be made
    # Alice's own identical request is served from the cache and says from which version.
    again = api.post(f"{API}/assets/", BODY, format="json").json()["version"]
    assert again["state"] == "succeeded" and again["reused_from"] == str(alices.pk)


def test_site_wide_cache_shares_the_image_but_not_the_owner_or_model_text(
    generation, api, alice, bob, settings
):
    settings.NANOBANANA = {
        **settings.NANOBANANA,
        "PROMPT_CACHE": {"ENABLED": True, "SCOPE": "site"},
    }
    alices = _alice_generates(api, generation)
    bob_api = client_for(bob)
    response = bob_api.post(f"{API}/assets/", BODY, format="json")
    data = response.json()["version"]
    assert data["state"] == "succeeded" and data["cost"] == "0.000000"
    assert data["reused_from"] is None
    assert str(alices.pk) not in response.content.decode()
    detail = bob_api.get(f"{API}/versions/{data['id']}/")
    assert detail.json()["reused_from"] is None
    assert str(alices.pk) not in detail.content.decode()
    bobs = AssetVersion.objects.get(pk=data["id"])
    assert bobs.sha256 == alices.sha256  # the image was shared ...
    assert bobs.model_text == "" and bobs.model_turn is None  # ... Alice's model text was not
    assert len(generation.generate_requests()) == 1


# -- usage (issue 13, hole 8) -------------------------------------------------------------------


@pytest.mark.parametrize(
    "query,field",
    [
        ("until=9999-12-31", "until"),
        ("since=0001-01-01", "since"),
        ("since=2026-01-01&until=9999-12-31", "until"),
        ("source=everywhere", "source"),
    ],
)
def test_bad_usage_filters_are_a_400_naming_the_field(api, query, field):
    response = api.get(f"{API}/usage/?{query}")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["field_errors"]
    assert error["field_errors"][field][0]


def test_usage_with_the_last_valid_day_works(api):
    response = api.get(f"{API}/usage/?since=2026-01-01&until=9998-12-31")
    assert response.status_code == 200 and response.json()["until"] == "9998-12-31"


def test_non_staff_usage_shows_only_their_own_budgets(generation, api, alice, bob, staff_editor):
    from django.contrib.auth.models import Group

    team = Group.objects.create(name="team")
    alice.groups.add(team)
    bob.groups.add(team)
    Budget.objects.create(
        name="site monthly", scope="site", period="month", amount_limit=Decimal("100")
    )
    Budget.objects.create(
        name="team monthly", scope="group", group=team, period="month", amount_limit=Decimal("50")
    )
    Budget.objects.create(
        name="each user daily", scope="user", period="day", amount_limit=Decimal("5")
    )
    created = client_for(bob).post(f"{API}/assets/", BODY, format="json").json()
    execute_version(created["version"]["id"])  # Bob spends money on every budget
    mine = api.get(f"{API}/usage/").json()
    assert [b["name"] for b in mine["budgets"]] == ["each user daily"]
    assert Decimal(mine["budgets"][0]["spent"]) == 0  # Alice's own window, not Bob's
    assert all(Decimal(r["cost"]) == 0 for r in mine["rows"])
    staff = client_for(staff_editor).get(f"{API}/usage/").json()
    names = {b["name"] for b in staff["budgets"]}
    assert {"site monthly", "team monthly"} <= names
    site = next(b for b in staff["budgets"] if b["name"] == "site monthly")
    assert Decimal(site["spent"]) > 0


# -- bounded audit prompt (issue 13, hole 6) ----------------------------------------------------


def test_a_refused_huge_prompt_is_audited_bounded_with_its_length_and_hash(api, alice):
    import hashlib

    from django_nanobanana.models import AuditRecord

    prompt = "A harbour " * 200_000  # 2 MB
    response = api.post(f"{API}/assets/", {**BODY, "prompt": prompt}, format="json")
    assert response.status_code == 400
    record = AuditRecord.objects.get(user=alice)
    assert record.outcome == "invalid"
    assert record.prompt == prompt[:8000]
    assert record.prompt_length == len(prompt) == 2_000_000
    assert record.prompt_sha256 == hashlib.sha256(prompt.encode()).hexdigest()


def test_the_audit_prompt_limit_is_a_setting(api, alice, settings):
    from django_nanobanana.models import AuditRecord

    settings.NANOBANANA = {**settings.NANOBANANA, "AUDIT_PROMPT_MAX_CHARS": 10}
    api.post(f"{API}/assets/", {**BODY, "model": "no-such-model"}, format="json")
    record = AuditRecord.objects.get(user=alice)
    assert record.prompt == BODY["prompt"][:10] and record.prompt_length == len(BODY["prompt"])


# -- CSV exports (issue 13, hole 8) -------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example/","x")', "+1+1", "-2+3", "@SUM(A1)"]


def _refused_with_models(api) -> None:
    for model in FORMULAS:
        response = api.post(f"{API}/assets/", {**BODY, "model": model}, format="json")
        assert response.status_code == 400


def test_usage_command_csv_escapes_formulas(api, alice):
    import csv
    import io

    from django.core.management import call_command

    _refused_with_models(api)
    out = io.StringIO()
    call_command("nanobanana_usage", "--by", "model", "--format", "csv", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert sorted(r["model"] for r in rows) == sorted("'" + m for m in FORMULAS)
    assert all(r["requests"] == "1" for r in rows)
    # The API trims whitespace; tab and carriage return are escaped all the same.
    from django_nanobanana.ledger.reports import csv_cell

    assert csv_cell("\tcmd") == "'\tcmd" and csv_cell("\rcmd") == "'\rcmd"
    assert csv_cell("gemini") == "gemini" and csv_cell(3) == 3


def test_admin_usage_csv_escapes_formulas_and_refuses_bad_dates(
    api, alice, client, django_user_model
):
    import csv
    import io

    from django.urls import reverse

    _refused_with_models(api)
    boss = django_user_model.objects.create_superuser("@boss", "boss@example.com", "pw")
    client.force_login(boss)
    url = reverse("admin:nanobanana_generatedasset_usage_csv")
    response = client.get(url, {"group": ["model", "user"]})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode(), newline="")))
    assert sorted(r["model"] for r in rows) == sorted("'" + m for m in FORMULAS)
    bad = client.get(url, {"until": "9999-12-31"})
    assert bad.status_code == 400 and "between" in bad.content.decode()
    assert client.get(url, {"since": "not-a-date"}).status_code == 400
