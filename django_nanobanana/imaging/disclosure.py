"""AI disclosure: the IPTC/XMP statement written into every rendition, and the C2PA
provenance of originals read with ``c2pa-python`` (the Content Authenticity Initiative's
bindings of ``c2pa-rs``).

* Renditions carry, in XMP, IPTC's ``Iptc4xmpExt:DigitalSourceType``
  ``http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia`` with the
  model (``Iptc4xmpExt:AISystemUsed`` / ``AISystemVersionUsed``, IPTC Photo Metadata
  2025.1, and ``xmp:CreatorTool``). Pillow writes XMP into JPEG, WebP and AVIF (``xmp=``)
  and, as the ``XML:com.adobe.xmp`` iTXt chunk, into PNG.
* Originals are stored byte for byte as the provider sent them, so Google's C2PA
  manifest (a ``caBX`` chunk in PNG, APP11 JUMBF segments in JPEG) stays intact.
  :func:`read_provenance` summarises it for the admin and the API. Without
  ``c2pa-python`` (or when it cannot read the file) the summary says so and only reports
  whether a manifest is present (found by its JUMBF/``c2pa`` box labels).
"""

from __future__ import annotations

import io
import json
import logging
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from PIL import Image

logger = logging.getLogger(__name__)

TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA = (
    "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
)
IPTC_EXT = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"


def xmp_packet(
    *,
    model: str,
    model_version: str = "",
    source_type: str = TRAINED_ALGORITHMIC_MEDIA,
    provider: str = "Google Gemini",
    title: str = "",
) -> bytes:
    """The XMP packet of a rendition: the IPTC digital source type and the model."""
    attributes = {
        "Iptc4xmpExt:DigitalSourceType": source_type,
        "Iptc4xmpExt:AISystemUsed": f"{provider} {model}".strip(),
        "xmp:CreatorTool": f"django-nanobanana ({model})",
    }
    if model_version:
        attributes["Iptc4xmpExt:AISystemVersionUsed"] = model_version
    attrs = "".join(f"\n    {name}={quoteattr(value)}" for name, value in attributes.items())
    description = (
        f'\n   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li>'
        "</rdf:Alt></dc:title>"
        if title
        else ""
    )
    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about=""\n'
        f'    xmlns:Iptc4xmpExt="{IPTC_EXT}"\n'
        '    xmlns:xmp="http://ns.adobe.com/xap/1.0/"\n'
        '    xmlns:dc="http://purl.org/dc/elements/1.1/"'
        f"{attrs}>{description}\n"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="r"?>'
    )
    return packet.encode("utf-8")


def read_xmp(data: bytes) -> str:
    """The XMP packet of an image file as text ('' when it has none)."""
    with Image.open(io.BytesIO(data)) as image:
        value = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp") or b""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


# -- C2PA ---------------------------------------------------------------------------------


def has_c2pa_manifest(data: bytes) -> bool:
    """Whether the file carries a C2PA manifest store (by its container, not validated):
    a PNG ``caBX`` chunk, or JUMBF (``jumb``) boxes labelled ``c2pa``."""
    if data.startswith(b"\x89PNG") and b"caBX" in data:
        return True
    return b"jumb" in data and b"c2pa" in data


def c2pa_available() -> bool:
    try:
        import c2pa  # noqa: F401
    except Exception:  # missing, or its native library cannot load
        return False
    return True


def read_provenance(data: bytes, mime_type: str) -> dict[str, Any]:
    """A JSON-ready summary of the file's C2PA manifest.

    ``present`` (a manifest store is in the file), ``reader`` (``"c2pa-python <version>"``
    or ``"none"``), and when it could be read: ``claim_generator``, ``title``,
    ``digital_source_type`` (of the ``c2pa.created`` action), ``actions``, ``signer``,
    ``signed_at``, ``validation_state`` and ``validation_errors``. ``error`` says why it
    could not be read.
    """
    present = has_c2pa_manifest(data)
    summary: dict[str, Any] = {"present": present}
    if not present:
        summary["reader"] = "none"
        return summary
    try:
        import c2pa
    except Exception as exc:  # pragma: no cover - depends on the installation
        summary.update(reader="none", error=f"c2pa-python is not available: {exc}")
        return summary
    summary["reader"] = f"c2pa-python {getattr(c2pa, '__version__', '?')}"
    try:
        with c2pa.Reader(mime_type, io.BytesIO(data)) as reader:
            store = json.loads(reader.json())
    except Exception as exc:
        summary["error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
        return summary
    active = (store.get("manifests") or {}).get(store.get("active_manifest") or "") or {}
    generator = active.get("claim_generator") or ""
    if not generator and active.get("claim_generator_info"):
        info = active["claim_generator_info"][0]
        generator = f"{info.get('name', '')} {info.get('version', '')}".strip()
    actions: list[dict[str, Any]] = []
    for assertion in active.get("assertions") or []:
        if str(assertion.get("label", "")).startswith("c2pa.actions"):
            actions.extend((assertion.get("data") or {}).get("actions") or [])
    created = next((a for a in actions if a.get("action") == "c2pa.created"), {})
    signature = active.get("signature_info") or {}
    statuses = store.get("validation_status") or []
    summary.update(
        {
            "claim_generator": generator,
            "title": active.get("title") or "",
            "digital_source_type": created.get("digitalSourceType") or "",
            "actions": [a.get("action") for a in actions if a.get("action")],
            "signer": signature.get("issuer") or signature.get("common_name") or "",
            "signed_at": signature.get("time") or "",
            "validation_state": store.get("validation_state")
            or ("Invalid" if statuses else "Valid"),
            "validation_errors": [s.get("code") for s in statuses if s.get("code")][:10],
        }
    )
    return summary


def sign_c2pa(
    data: bytes,
    mime_type: str,
    *,
    manifest: dict[str, Any],
    chain: bytes,
    private_key: bytes,
    alg: str = "ES256",
    tsa_url: str | None = None,
    ingredient: tuple[bytes, str, dict[str, Any]] | None = None,
) -> bytes:
    """``data`` with a C2PA manifest signed by ``chain`` (PEM, signer first) and
    ``private_key`` (PEM); ``ingredient`` (bytes, MIME type, ingredient JSON) is recorded
    as what the file was made from (its own manifest, e.g. Google's, travels with it)."""
    import c2pa

    info = c2pa.C2paSignerInfo(
        getattr(c2pa.C2paSigningAlg, alg.upper()), chain, private_key, tsa_url
    )
    out = io.BytesIO()
    with c2pa.Signer.from_info(info) as signer, c2pa.Builder(manifest) as builder:
        if ingredient is not None:
            content, ingredient_mime, ingredient_json = ingredient
            builder.add_ingredient_from_stream(
                ingredient_json, ingredient_mime, io.BytesIO(content)
            )
        builder.sign(signer, mime_type, io.BytesIO(data), out)
    return out.getvalue()


def _pem(value: Any) -> bytes:
    """A PEM given inline (``-----BEGIN``) or as a file path."""
    text = value.decode() if isinstance(value, bytes) else str(value)
    if "-----BEGIN" in text:
        return text.encode()
    with open(text, "rb") as handle:
        return handle.read()


class RenditionSigner:
    """Signs renditions with the site's own certificate (``C2PA_SIGNING``), the original
    as their ingredient. Built once per set of renditions (the original read once)."""

    def __init__(
        self, config: dict[str, Any], *, original: bytes, original_mime: str, model: str
    ) -> None:
        self.chain = _pem(config["CERT_CHAIN"])
        self.private_key = _pem(config["PRIVATE_KEY"])
        self.alg = str(config.get("ALG") or "ES256")
        self.tsa_url = config.get("TSA_URL") or None
        self.generator = str(config.get("CLAIM_GENERATOR") or "django-nanobanana")
        self.original = original
        self.original_mime = original_mime
        self.model = model

    def __call__(self, data: bytes, mime_type: str) -> bytes:
        manifest = {
            "claim_generator_info": [{"name": self.generator}],
            "title": "rendition",
            "assertions": [
                {
                    "label": "c2pa.actions",
                    "data": {
                        "actions": [
                            {
                                "action": "c2pa.opened",
                                "parameters": {"ingredientIds": ["original"]},
                            },
                            {"action": "c2pa.resized"},
                            {"action": "c2pa.converted", "parameters": {"format": mime_type}},
                        ]
                    },
                }
            ],
        }
        ingredient = (
            self.original,
            self.original_mime,
            {"title": "original", "relationship": "parentOf", "label": "original"},
        )
        return sign_c2pa(
            data,
            mime_type,
            manifest=manifest,
            chain=self.chain,
            private_key=self.private_key,
            alg=self.alg,
            tsa_url=self.tsa_url,
            ingredient=ingredient,
        )
