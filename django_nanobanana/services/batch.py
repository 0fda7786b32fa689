"""Batches from a CSV or JSONL file: validate every row first, then queue them all.

A file with any bad row is refused whole, with every bad line named, before anything is
queued or spent. The columns (CSV header) / keys (JSONL) are :data:`COLUMNS`; an unknown
column of a CSV file is reported once, on its header line, and the rows are still
checked so their own errors show too.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ..exceptions import (
    BatchValidationError,
    ConfigurationError,
    NanobananaError,
    RequestValidationError,
)
from ..imaging.decode import ImageValidationError, decode_image
from ..ledger import accounting
from ..models import AssetVersion, BatchJob, BatchJobState, Source, State
from ..providers import get_provider
from ..providers.base import BilledAttempt, RawResponse
from ..providers.batch_api import BatchJob as ProviderBatchJob
from ..providers.batch_api import GeminiBatchClient
from ..providers.errors import ModelNotFoundError, ProviderError
from ..providers.models_registry import get_model
from .assets import validate_overlay
from .params import GenerationParams, validate_params
from .references import store_reference
from .requests import generate
from .transitions import claim_version, finish_version
from .worker import apply_result, build_request

ALIASES = {"ratio": "aspect_ratio", "image_size": "image_size", "size": "image_size"}
logger = logging.getLogger(__name__)

#: Every column, with what it means (the command's --help and docs/operations.md).
COLUMNS = {
    "prompt": "what to draw (required)",
    "title": "the image's title (default: the prompt)",
    "alt_text": "alternative text for pages",
    "aspect_ratio": "e.g. 16:9 (alias: ratio; default: the model's)",
    "image_size": "512, 1K, 2K or 4K, model permitting (alias: size)",
    "model": "model id (default: NANOBANANA['DEFAULT_MODEL'])",
    "seed": "a whole number",
    "overlay": "text drawn over the image",
    "thinking_level": "how much the model thinks first, models permitting (minimal, medium, high)",
    "grounding": "Google Search grounding, models permitting: web or web+image",
    "references": "reference image paths, relative to the file: separated by ';' in CSV, "
    "a list in JSONL",
}
KNOWN = set(COLUMNS)
COLUMNS_HELP = (
    "columns (CSV header row) / keys (JSONL objects):\n"
    + "\n".join(f"  {name:<13} {text}" for name, text in COLUMNS.items())
    + (
        "\nexample CSV:\n  prompt,title,aspect_ratio,size,overlay\n"
        "  A lighthouse at dawn,Lighthouse,16:9,1K,Open Day\n"
        'example JSONL:\n  {"prompt": "A lighthouse at dawn", "ratio": "16:9", '
        '"references": ["ref.png"]}'
    )
)


def _canonical(name: str) -> str:
    name = name.strip().lower()
    return ALIASES.get(name, name)


def _unknown_message(unknown: Iterable[str]) -> str:
    return _("unknown column(s): %(names)s (known: %(known)s)") % {
        "names": ", ".join(sorted(unknown)),
        "known": ", ".join(COLUMNS),
    }


@dataclass
class BatchRow:
    line: int
    params: GenerationParams
    title: str = ""
    alt_text: str = ""
    overlay: dict | None = None
    reference_paths: list[str] = field(default_factory=list)


def read_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """Raw rows with their line numbers (1-based, as an editor shows them)."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        rows = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except ValueError as exc:
                rows.append((number, {"__error__": _("not valid JSON (%(e)s)") % {"e": exc}}))
                continue
            if not isinstance(data, dict):
                data = {"__error__": _("each line must be a JSON object")}
            rows.append((number, data))
        return rows
    if path.suffix.lower() != ".csv":
        raise BatchValidationError([(0, _("the file must end in .csv or .jsonl"))])
    reader = csv.DictReader(io.StringIO(text))
    return [(reader.line_num, dict(row)) for row in reader]


def _clean_row(
    number: int, raw: dict[str, Any], base: Path, ignore: Iterable[str] = ()
) -> BatchRow:
    if "__error__" in raw:
        raise RequestValidationError({"row": [raw["__error__"]]})
    data = {_canonical(k): v for k, v in raw.items() if k and _canonical(k) not in ignore}
    unknown = set(data) - KNOWN
    if unknown:  # a JSONL line's own keys
        raise RequestValidationError({"columns": [_unknown_message(unknown)]})
    value = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    seed = value.get("seed")
    try:
        seed = int(seed) if seed not in (None, "") else None
    except (TypeError, ValueError):
        raise RequestValidationError({"seed": [_("seed must be a whole number")]}) from None
    refs = value.get("references") or []
    if isinstance(refs, str):
        refs = [r.strip() for r in refs.split(";") if r.strip()]
    paths = []
    for ref in refs:
        ref_path = Path(ref) if Path(ref).is_absolute() else base / ref
        if not ref_path.is_file():
            raise RequestValidationError(
                {"references": [_("reference image not found: %(path)s") % {"path": ref}]}
            )
        try:
            decode_image(ref_path.read_bytes())
        except ImageValidationError as exc:
            raise RequestValidationError({"references": [f"{ref}: {exc.message}"]}) from None
        paths.append(str(ref_path))
    params = GenerationParams(
        prompt=value.get("prompt") or "",
        model=value.get("model") or None,
        aspect_ratio=value.get("aspect_ratio") or None,
        image_size=value.get("image_size") or None,
        seed=seed,
        thinking_level=value.get("thinking_level") or None,
        grounding=value.get("grounding") or "",
    )
    validate_params(
        params, reference_count=len(paths), reference_sizes=[Path(p).stat().st_size for p in paths]
    )
    overlay = validate_overlay({"text": value["overlay"]}) if value.get("overlay") else None
    return BatchRow(
        line=number,
        params=params,
        title=value.get("title") or "",
        alt_text=value.get("alt_text") or "",
        overlay=overlay,
        reference_paths=paths,
    )


def validate_file(path: Path) -> list[BatchRow]:
    """All rows, validated; raises :class:`BatchValidationError` naming every bad line."""
    rows, errors = [], []
    raw_rows = read_rows(path)
    if not raw_rows:
        raise BatchValidationError([(0, _("the file has no rows"))])
    ignore: set[str] = set()
    if path.suffix.lower() == ".csv":
        # One header, one error: not repeated on every row, and the rows still checked.
        header = next(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))), [])
        ignore = {_canonical(h) for h in header if h.strip()} - KNOWN
        if ignore:
            errors.append((1, _unknown_message(ignore)))
    for number, raw in raw_rows:
        try:
            rows.append(_clean_row(number, raw, path.parent, ignore))
        except RequestValidationError as exc:
            message = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.field_errors.items())
            errors.append((number, message))
        except ConfigurationError as exc:
            errors.append((number, str(exc)))
    if errors:
        raise BatchValidationError(errors)
    return rows


def queue_rows(
    rows: Iterable[BatchRow], *, user: Any = None, enqueue: bool = True
) -> list[AssetVersion]:
    """Queue every row in one transaction: all of them or none."""
    versions = []
    with transaction.atomic():
        for row in rows:
            refs = tuple(
                str(store_reference(Path(p).read_bytes(), user=user, name=Path(p).name).pk)
                for p in row.reference_paths
            )
            params = GenerationParams(**{**row.params.__dict__, "references": refs})
            versions.append(
                generate(
                    params,
                    title=row.title,
                    alt_text=row.alt_text,
                    overlay=row.overlay,
                    user=user,
                    source=Source.BATCH,
                    enqueue=enqueue,
                )
            )
    return versions


def summary(version_ids: Iterable[Any]) -> dict[str, Any]:
    """Counts by state and the total cost of a batch."""
    queryset = AssetVersion.objects.filter(pk__in=list(version_ids))
    counts = {state: 0 for state in State.values}
    for state in queryset.values_list("state", flat=True):
        counts[state] += 1
    cost = queryset.aggregate(total=Sum("cost"))["total"] or Decimal("0")
    cost = Decimal(cost).quantize(Decimal("0.000001"))
    return {**counts, "total": sum(counts.values()), "cost": f"{cost:f}"}


# -- Gemini Batch API ---------------------------------------------------------------------------


def run_with_batch_api(
    versions: Iterable[AssetVersion],
    *,
    timeout: float,
    poll_interval: float = 30.0,
    sleep: Any = time.sleep,
    monotonic: Any = time.monotonic,
    report: Any = None,
) -> None:
    """Run queued versions through Gemini's Batch API (half price, asynchronous).

    The versions are claimed (``running``, with a lease longer than ``timeout``), sent as
    one job per (provider, model), polled every ``poll_interval`` seconds until done or
    ``timeout``, and each result is applied exactly like a worker's (state, file, cost at
    the batch price). On timeout the jobs are cancelled and the versions fail with
    ``BATCH_TIMEOUT``, their reservations refunded.

    Every job is recorded (:class:`~django_nanobanana.models.BatchJob`) before it is
    created and named as soon as the provider answers. Should this process die, the
    reaper asks the provider for the job's state when the versions' lease runs out: it
    leaves them alone while the job runs, and applies the results once it is done, so work
    the provider runs (and bills) is never queued a second time.
    """
    lease = timeout + 600
    groups: dict[tuple[str, str], list[AssetVersion]] = {}
    for version in versions:
        claimed = claim_version(version.pk, lease_seconds=lease)
        if claimed is not None:
            groups.setdefault((claimed.provider, claimed.model), []).append(claimed)

    pending = []
    for (alias, model), group in groups.items():
        record = None
        try:
            provider = get_provider(alias)
            client = GeminiBatchClient(provider)
            capabilities = get_model(model)
            requests = []
            for version in group:
                request = build_request(version, capabilities, provider)
                checked = provider.check_request(request)
                request = provider.prepare_request(request, checked)
                requests.append((str(version.pk), provider.build_payload(request, checked)))
            record = BatchJob.objects.create(
                display_name=f"django-nanobanana-{uuid.uuid4().hex}", provider=alias, model=model
            )
            record.versions.set(group)
            job = client.create(model, requests, display_name=record.display_name)
        except (ProviderError, TypeError, NanobananaError) as exc:
            if record is not None:
                record.delete()  # nothing was created at the provider
            _fail_all(group, "BATCH_CREATE_FAILED", str(exc))
            continue
        _save_job_state(record, job, name=job.name)
        pending.append((client, record))
    deadline = monotonic() + timeout
    while pending:
        for entry in list(pending):
            client, record = entry
            try:
                job = client.get(record.name)
            except ProviderError as exc:  # retries are exhausted: the job is lost to us
                pending.remove(entry)
                _fail_all(_running_versions(record), "BATCH_POLL_FAILED", str(exc))
                continue
            if report:
                report(record.name, job.state)
            _save_job_state(record, job)
            if job.done:
                pending.remove(entry)
                collect(record, job, client.provider)
        if not pending:
            break
        if monotonic() + poll_interval > deadline:
            for client, record in pending:
                try:
                    client.cancel(record.name)
                except ProviderError:
                    pass  # the versions fail either way; the job expires on its own
                BatchJob.objects.filter(pk=record.pk).update(
                    state=BatchJobState.CANCELLED, finished_at=timezone.now()
                )
                _fail_all(
                    _running_versions(record),
                    "BATCH_TIMEOUT",
                    _("The batch job did not finish within %(s)d seconds and was cancelled.")
                    % {"s": timeout},
                )
            break
        sleep(poll_interval)


def _save_job_state(record: BatchJob, job: ProviderBatchJob, *, name: str | None = None) -> None:
    values: dict[str, Any] = {"updated_at": timezone.now()}
    if name:
        values["name"] = record.name = name
    state = job.state if job.state in BatchJobState.values else BatchJobState.RUNNING
    values["state"] = record.state = state
    if job.done:
        values["finished_at"] = timezone.now()
    BatchJob.objects.filter(pk=record.pk).update(**values)


def _running_versions(record: BatchJob) -> list[AssetVersion]:
    return list(record.versions.filter(state=State.RUNNING).select_related("asset", "parent"))


def _fail_all(group: Iterable[AssetVersion], code: str, reason: str) -> None:
    """Fail claimed versions; what was billed stays booked, the rest is refunded."""
    for version in group:
        finish_version(version, State.FAILED, error_code=code, error=reason)


def collect(record: BatchJob, job: ProviderBatchJob, provider: Any) -> None:
    """Apply a finished job's inline results to its versions still running, like a worker
    would: each result is a billed answer (recorded at the batch price first), then the
    version ends ``succeeded`` / ``blocked`` / ``failed``. Used by the process that created
    the job and by the reaper when that process died."""
    versions = _running_versions(record)
    if job.state != "SUCCEEDED" and not job.results:
        _fail_all(
            versions,
            f"BATCH_{job.state}"[:64],
            _("The batch job ended in state %(state)s.") % {"state": job.state},
        )
        return
    capabilities = get_model(record.model)
    results = {key: (response, error) for key, response, error in job.results}
    for version in versions:
        response, error = results.get(
            str(version.pk), (None, {"message": _("No result for this request.")})
        )
        if error or not response:
            error = error or {}
            finish_version(
                version,
                State.FAILED,
                error_code=str(error.get("status") or "BATCH_ERROR")[:64],
                error=str(error.get("message") or ""),
            )
            continue
        raw = RawResponse(200, {}, response)
        usage = provider.parse_usage(raw)
        billed = BilledAttempt(
            1,
            usage,
            response_id=response.get("responseId"),
            model_version=response.get("modelVersion"),
        )
        recorder = accounting.BilledRecorder(
            version, capabilities, batch=True, batch_job=record.name
        )
        recorder.record(billed)
        try:
            result = provider.parse_response(build_request(version, capabilities, provider), raw)
        except ProviderError as exc:
            billed.note, billed.reason = "unusable", exc.message
            recorder.flush([billed])
            finish_version(version, State.FAILED, error_code=exc.reason[:64], error=str(exc))
            continue
        result.usage = usage
        result.billed = [billed]
        apply_result(version, result, capabilities, batch=True)


#: Google expires a batch job within 48 hours; a job we could not ask about for longer than
#: this is treated as lost, so its versions do not stay ``running`` forever.
BATCH_JOB_MAX_AGE = timedelta(hours=72)


def check_job(record: BatchJob) -> str:
    """The reaper's question for a job whose versions' lease ran out: ask the provider.

    Returns ``"running"`` (the job still runs at the provider: leave its versions alone),
    ``"collected"`` (it is done: its results were applied), ``"lost"`` (the provider does
    not know it, or it was never named: the versions may be requeued) or ``"unreachable"``
    (the provider could not be asked: try again at the next run; after
    :data:`BATCH_JOB_MAX_AGE` the job counts as lost).
    """
    if not record.name:
        BatchJob.objects.filter(pk=record.pk).update(
            state=BatchJobState.LOST, finished_at=timezone.now()
        )
        return "lost"
    try:
        provider = get_provider(record.provider)
        client = GeminiBatchClient(provider)
        job = client.get(record.name)
    except ModelNotFoundError:  # 404: no such job
        BatchJob.objects.filter(pk=record.pk).update(
            state=BatchJobState.LOST, finished_at=timezone.now()
        )
        return "lost"
    except (ProviderError, ConfigurationError, TypeError) as exc:
        logger.warning("batch job %s: cannot ask its state (%s)", record.name, exc)
        if timezone.now() - record.created_at > BATCH_JOB_MAX_AGE:
            BatchJob.objects.filter(pk=record.pk).update(
                state=BatchJobState.LOST, finished_at=timezone.now()
            )
            return "lost"
        return "unreachable"
    _save_job_state(record, job)
    if not job.done:
        return "running"
    collect(record, job, provider)
    return "collected"
