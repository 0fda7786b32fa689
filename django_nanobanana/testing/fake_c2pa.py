"""C2PA manifests for the fake Gemini server's images, as Google embeds in its own.

A throwaway certificate chain (an EC P-256 CA and a signer, made with ``cryptography``
when first needed) signs a manifest whose ``c2pa.created`` action says
``trainedAlgorithmicMedia``, with ``c2pa-python``. The chain is not trusted by anyone:
readers report ``signingCredential.untrusted``, exactly what an unknown signer gets.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
from typing import Any

TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
_lock = threading.Lock()
_chain: tuple[bytes, bytes] | None = None


def test_chain() -> tuple[bytes, bytes]:
    """``(certificate chain PEM, private key PEM)`` of a fresh signer (cached)."""
    global _chain
    with _lock:
        if _chain is None:
            _chain = _make_chain()
        return _chain


def _make_chain() -> tuple[bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(common: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, common),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Fake Gemini"),
            ]
        )

    now = dt.datetime.now(dt.UTC)

    def certificate(subject, issuer, public_key, signing_key, *, days, ca):
        """The CA's certificate (``ca``), or the signer's: for e-mail protection, naming
        its issuer's key."""
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=not ca,
                    key_cert_sign=ca,
                    crl_sign=ca,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
        )
        if not ca:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
            )
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False
        )
        if not ca:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()),
                critical=False,
            )
        return builder.sign(signing_key, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = name("Fake Gemini CA")
    ca = certificate(ca_name, ca_name, ca_key.public_key(), ca_key, days=3650, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = certificate(
        name("Fake Gemini signer"), ca.subject, key.public_key(), ca_key, days=365, ca=False
    )
    chain = cert.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(
        serialization.Encoding.PEM
    )
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return chain, private


def sign(
    data: bytes, mime_type: str, *, manifest: dict[str, Any], chain: bytes, private_key: bytes
) -> bytes:
    """``data`` with ``manifest`` signed by ``chain``/``private_key`` (PEM), written with the
    c2pa library directly: the fake signs the way Google would, not through the project's
    own signing code, so a fault there cannot hide behind an agreeing fake."""
    import c2pa  # optional extra: only when a test asks for signed images

    info = c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, chain, private_key, None)
    out = io.BytesIO()
    with c2pa.Signer.from_info(info) as signer, c2pa.Builder(manifest) as builder:
        builder.sign(signer, mime_type, io.BytesIO(data), out)
    return out.getvalue()


def sign_generated(data: bytes, mime_type: str, *, model: str) -> bytes:
    """An image as the fake provider sends it: with a manifest saying who made it how."""
    chain, private_key = test_chain()
    manifest = {
        "claim_generator_info": [{"name": "Fake Gemini", "version": model}],
        "title": "generated image",
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": TRAINED,
                            "softwareAgent": {"name": model},
                        }
                    ]
                },
            }
        ],
    }
    return sign(data, mime_type, manifest=manifest, chain=chain, private_key=private_key)
