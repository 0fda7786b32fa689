"""The commands as a script sees them: --json errors are JSON, the batch columns are
documented in --help, an unknown column is one clear error, cost is printed as money."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import CommandError, call_command, load_command_class

from django_nanobanana.models import AssetVersion
from django_nanobanana.services.batch import COLUMNS

pytestmark = pytest.mark.django_db


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_batch_help_documents_every_column():
    command = load_command_class("django_nanobanana", "nanobanana_batch")
    text = command.create_parser("manage.py", "nanobanana_batch").format_help()
    for column in COLUMNS:
        assert re.search(rf"^\s+{column}\s+\S", text, re.M), column
    assert "ratio" in text and "size" in text and "example CSV" in text


def test_unknown_column_is_one_error_and_real_errors_still_show(nanobanana_fake, tmp_path):
    path = write(
        tmp_path,
        "rows.csv",
        "\n".join(
            [
                "prompt,caption,aspect_ratio",
                "A fox,Foxy,16:9",
                "A bee,Buzz,7:3",  # line 3: the real error
                "A cow,Moo,1:1",
            ]
        ),
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 bad row"):
        call_command("nanobanana_batch", str(path), stderr=err)
    lines = err.getvalue().strip().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith(f"{path}:1: ") and "unknown column(s): caption" in lines[0]
    assert "known: prompt" in lines[0]
    assert lines[1].startswith(f"{path}:3: ") and "7:3" in lines[1]
    assert AssetVersion.objects.count() == 0


def test_batch_errors_with_json_are_json(nanobanana_fake, tmp_path):
    path = write(tmp_path, "rows.jsonl", '{"prompt": "A fox", "ratio": "7:3"}\n{"prompt": ""}\n')
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("nanobanana_batch", str(path), "--json", stdout=out, stderr=io.StringIO())
    answer = json.loads(out.getvalue())
    assert "2 bad row(s)" in answer["error"]
    assert [e["line"] for e in answer["errors"]] == [1, 2]
    assert "7:3" in answer["errors"][0]["message"]


def test_generate_errors_with_json_are_one_json_object(nanobanana_fake, media_root):
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "nanobanana_generate", "--prompt", "x", "--aspect-ratio", "7:3", "--json", stdout=out
        )
    answer = json.loads(out.getvalue())
    assert "aspect ratio 7:3" in answer["error"]
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("nanobanana_generate", "--json", stdout=out)
    assert "--prompt is required" in json.loads(out.getvalue())["error"]


def test_batch_summary_prints_cost_as_money(nanobanana_fake, media_root, tmp_path, settings):
    settings.NANOBANANA = {
        **settings.NANOBANANA,
        "RENDITION_WIDTHS": (320,),
        "RENDITION_FORMATS": ("jpeg",),
    }
    path = write(tmp_path, "rows.csv", "prompt,size\nA fox,1K\nA bee,1K\n")
    out = io.StringIO()
    call_command(
        "nanobanana_batch", str(path), "--mode", "inline", stdout=out, stderr=io.StringIO()
    )
    text = out.getvalue()
    cost = re.search(r"cost: (\S+)", text).group(1)
    assert re.fullmatch(r"\$\d+\.\d{2,6}", cost), text
    out = io.StringIO()
    call_command(
        "nanobanana_batch",
        str(path),
        "--mode",
        "inline",
        "--json",
        stdout=out,
        stderr=io.StringIO(),
    )
    assert re.fullmatch(r"\d+\.\d{6}", json.loads(out.getvalue())["cost"])
