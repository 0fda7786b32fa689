"""What goes into a provider call and what comes out of it: plain dataclasses.

:class:`ImageRequest` / :class:`DescribeRequest` in, :class:`ImageResult` /
:class:`DescriptionResult` out, with :class:`Usage` and one :class:`BilledAttempt` per
billed answer; :class:`RawResponse` is what a backend's ``send`` hands its
``parse_response``. The :class:`~.base.Provider` steps take and return these; the services
build requests and store results. Importable from :mod:`.base` too (their historical home).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import BlockedError, NoImageError

Outcome = Literal["succeeded", "blocked", "failed"]


@dataclass(frozen=True)
class ReferenceImage:
    """An input image: bytes sent inline, or a Files API URI for large ones."""

    data: bytes
    mime_type: str
    file_uri: str | None = None

    def __repr__(self) -> str:  # never dump the bytes into logs
        where = f", file_uri={self.file_uri!r}" if self.file_uri else ""
        return f"ReferenceImage({self.mime_type}, {len(self.data)} bytes{where})"


@dataclass(frozen=True)
class ImageRequest:
    prompt: str
    model: str
    aspect_ratio: str | None = None
    image_size: str | None = None
    references: Sequence[ReferenceImage] = ()
    # Earlier turns of a multi-turn edit, in wire form ({"role", "parts"}), thought
    # signatures unchanged.
    history: Sequence[Mapping[str, Any]] = ()
    seed: int | None = None
    system_instruction: str | None = None
    thinking_level: str | None = None
    safety_settings: Mapping[str, str] | None = None
    #: Google Search grounding: "" (none), "web" or "web+image".
    grounding: str = ""


@dataclass
class Usage:
    """Token counts of one call, by direction and modality."""

    prompt_tokens: int = 0
    prompt_text_tokens: int = 0
    prompt_image_tokens: int = 0
    output_tokens: int = 0
    output_text_tokens: int = 0
    output_image_tokens: int = 0
    thoughts_tokens: int = 0
    total_tokens: int = 0
    #: Prompts answered with Google Search grounding (billed per prompt).
    grounded_prompts: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class BilledAttempt:
    """One answer of a call that the provider bills (an HTTP 200 with a body).

    ``number`` is the HTTP attempt within the call (1-based). ``usage`` is ``None`` when
    the answer was billed but its body could not be read (malformed JSON): its usage is
    unknown and the ledger books the estimate for it, flagged (see docs/ledger.md).
    ``note`` says what became of it: ``"result"`` (it is the call's result),
    ``"malformed"`` (unreadable body) or ``"unusable"`` (read, then refused, e.g. a
    truncated image; ``reason`` says why).
    """

    number: int
    usage: Usage | None
    response_id: str | None = None
    model_version: str | None = None
    note: str = "result"
    reason: str = ""

    @property
    def usage_known(self) -> bool:
        return self.usage is not None


@dataclass
class ImageResult:
    outcome: Outcome
    image: bytes | None = None
    mime_type: str | None = None
    text: str = ""
    finish_reason: str | None = None
    block_reason: str | None = None
    reason: str = ""
    usage: Usage = field(default_factory=Usage)
    response_id: str | None = None
    model_version: str | None = None
    #: ``modelStatus`` of the answer (``modelStage``, ``retirementTime``, ``message``): the
    #: provider's own word that a model is going away.
    model_status: dict[str, Any] | None = None
    #: ``groundingMetadata`` of a grounded answer (queries, sources, search suggestions).
    grounding_metadata: dict[str, Any] | None = None
    # The model's turn as it must be sent back for a follow-up edit (thought parts
    # dropped, thought signatures unchanged).
    model_turn: dict[str, Any] | None = None
    attempts: int = 1
    latency_ms: int = 0
    #: Every billed answer of the call, this result's own last (see :class:`BilledAttempt`).
    billed: list[BilledAttempt] = field(default_factory=list)

    def raise_for_outcome(self) -> ImageResult:
        if self.outcome == "blocked":
            raise BlockedError(self.reason, reason=self.block_reason or self.finish_reason)
        if self.outcome == "failed":
            raise NoImageError(self.reason, reason=self.finish_reason or "NO_IMAGE")
        return self


@dataclass(frozen=True)
class DescribeRequest:
    """One image to describe: the text model, the instruction, a JSON schema the answer
    must follow (structured output) and the image itself."""

    model: str
    prompt: str
    image: ReferenceImage
    schema: Mapping[str, Any]
    thinking_level: str | None = None


@dataclass
class DescriptionResult:
    """A text model's structured answer: ``data`` is the parsed JSON object."""

    data: dict[str, Any]
    finish_reason: str | None = None
    usage: Usage = field(default_factory=Usage)
    response_id: str | None = None
    model_version: str | None = None
    attempts: int = 1
    latency_ms: int = 0
    billed: list[BilledAttempt] = field(default_factory=list)


@dataclass
class RawResponse:
    status_code: int
    headers: Mapping[str, str]
    data: Any
    #: Large base64 strings taken out of the body before parsing it, already decoded,
    #: by the placeholder that stands in ``data`` for each (see gemini.split_inline_data).
    blobs: Mapping[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class ListedModel:
    """One entry of a provider's model list (``models.list``)."""

    id: str
    display_name: str = ""
    version: str = ""
    methods: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)


def replace_references(request: ImageRequest, references: Sequence[ReferenceImage]) -> ImageRequest:
    return dataclasses.replace(request, references=tuple(references))
