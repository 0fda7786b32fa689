"""Where files go: one configurable storage alias, deterministic collision-free names."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.utils.deconstruct import deconstructible
from django.utils.encoding import filepath_to_uri

from .conf import nanobanana_settings

logger = logging.getLogger(__name__)

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/avif": "avif"}


def get_storage() -> Storage:
    """The storage named by ``NANOBANANA["STORAGE"]`` (a key of Django's ``STORAGES``)."""
    return storages[nanobanana_settings.STORAGE]


@deconstructible(path="django_nanobanana.storage.ConfiguredStorage")
class ConfiguredStorage(Storage):
    """A storage that delegates, at call time, to the one ``NANOBANANA["STORAGE"]`` names.

    File fields use it so that changing the alias (or ``STORAGES`` under
    ``override_settings``) takes effect without a migration or a restart.
    """

    def _target(self) -> Storage:
        return get_storage()

    def _open(self, name: str, mode: str = "rb"):  # type: ignore[no-untyped-def]
        return self._target().open(name, mode)

    def save(self, name, content, max_length=None):  # type: ignore[no-untyped-def]
        return self._target().save(name, content, max_length=max_length)

    def delete(self, name: str) -> None:
        self._target().delete(name)

    def exists(self, name: str) -> bool:
        return self._target().exists(name)

    def url(self, name: str) -> str:
        """The file's URL, without a storage call per file where the target's URLs are its
        base followed by the name (see :func:`url_base`); signed URLs are asked for each."""
        target = self._target()
        base = url_base(target)
        if base is None:
            return target.url(name)
        return base + filepath_to_uri(name).lstrip("/")

    def size(self, name: str) -> int:
        return self._target().size(name)

    def path(self, name: str) -> str:
        return self._target().path(name)

    def listdir(self, path: str):  # type: ignore[no-untyped-def]
        return self._target().listdir(path)

    def generate_filename(self, filename: str) -> str:
        return self._target().generate_filename(filename)

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return self._target().get_available_name(name, max_length=max_length)


configured_storage = ConfiguredStorage()

_URL_PROBE = "nanobanana-url-probe/probe.png"
_url_bases: weakref.WeakKeyDictionary[Storage, str | None] = weakref.WeakKeyDictionary()


def url_base(storage: Storage) -> str | None:
    """The prefix of every URL of ``storage`` (``/media/``, ``https://cdn.example/img/``),
    found once per storage object by asking it for one probe name's URL; None when its URLs
    are not that prefix plus the name (signed URLs with a query string): then every URL is
    asked of the storage. Names are deterministic, so an API list of N assets with 15
    renditions each costs no storage call at all instead of 15 N."""
    try:
        return _url_bases[storage]
    except KeyError:
        pass
    except TypeError:  # not weak-referenceable: ask every time
        return None
    try:
        probe = storage.url(_URL_PROBE)
    except Exception:  # a storage without URLs: let each call raise as it would
        probe = ""
    base = (
        probe[: -len(_URL_PROBE)]
        if probe.endswith("/" + _URL_PROBE) and "?" not in probe and "#" not in probe
        else None
    )
    _url_bases[storage] = base
    return base


def original_name(asset_id: object, version_id: object, mime_type: str, *, attempt: int = 1) -> str:
    """``<prefix>/<asset>/<version>/original-<attempt>.<ext>``: an attempt that lost its
    lease can delete its own file without touching the winner's."""
    ext = EXTENSIONS.get(mime_type, "bin")
    return f"{nanobanana_settings.UPLOAD_PREFIX}/{asset_id}/{version_id}/original-{attempt}.{ext}"


def rendition_name(
    asset_id: object,
    version_id: object,
    overlay_hash: str,
    width: int,
    extension: str,
    crop: str = "",
) -> str:
    """``crop``: an art-directed crop's tag (ratio and box), "" for the full image."""
    folder = overlay_hash or "plain"
    if crop:
        folder = f"{folder}-crop-{crop}"
    return (
        f"{nanobanana_settings.UPLOAD_PREFIX}/{asset_id}/{version_id}/{folder}/{width}.{extension}"
    )


def reference_name(sha256: str, mime_type: str) -> str:
    ext = EXTENSIONS.get(mime_type, "bin")
    return f"{nanobanana_settings.UPLOAD_PREFIX}/references/{sha256[:2]}/{sha256}.{ext}"


def save_exact(name: str, content: bytes) -> str:
    """Save under exactly ``name``, replacing a leftover of an earlier failed attempt.

    Names are deterministic and unique per version, so whatever already sits there is ours.
    """
    storage = get_storage()
    if storage.exists(name):
        storage.delete(name)
    saved = storage.save(name, ContentFile(content))
    if saved != name:  # a storage that renames anyway: keep what it chose, but say so
        logger.warning("storage saved %s as %s", name, saved)
    return saved


def delete_files(names: Iterable[str], *, on_commit: bool = True) -> None:
    """Delete files, after the current transaction commits (nothing happens on rollback)."""
    names = [n for n in names if n]
    if not names:
        return

    def _delete() -> None:
        storage = get_storage()
        for name in names:
            try:
                storage.delete(name)
            except Exception:  # a missing file or a flaky backend must not break deletes
                logger.warning("could not delete %s", name, exc_info=True)

    if on_commit:
        transaction.on_commit(_delete)
    else:
        _delete()
