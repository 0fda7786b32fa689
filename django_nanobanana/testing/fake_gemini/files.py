"""The Files API: resumable uploads (``POST /upload/v1beta/files``, start then
upload-and-finalize) and the ``fileData`` URIs generation requests may name."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from urllib.parse import parse_qs, urlencode, urlsplit

from .auth import AuthMixin
from .wire import google_error


class FilesMixin(AuthMixin):
    def _upload(self, raw: bytes) -> None:
        query = parse_qs(urlsplit(self.path).query)
        command = (self.headers.get("X-Goog-Upload-Command") or "").lower()
        upload_id = (query.get("upload_id") or [None])[0]
        if upload_id is None:  # start
            if not self._check_key():
                return
            if self._apply_fault("upload", "google"):
                return
            if self.headers.get("X-Goog-Upload-Protocol") != "resumable" or command != "start":
                self._invalid("Expected X-Goog-Upload-Protocol: resumable and command start.")
                return
            try:
                meta = (json.loads(raw or b"{}").get("file")) or {}
            except (ValueError, AttributeError):
                meta = {}
            upload_id = uuid.uuid4().hex
            with self.server.lock:
                self.server.uploads[upload_id] = {
                    "meta": meta,
                    "length": int(self.headers.get("X-Goog-Upload-Header-Content-Length") or 0),
                    "mime": self.headers.get("X-Goog-Upload-Header-Content-Type")
                    or meta.get("mimeType")
                    or "application/octet-stream",
                }
            url = f"{self.server.base_url}{urlsplit(self.path).path}?" + urlencode(
                {"upload_id": upload_id, "upload_protocol": "resumable"}
            )
            self._send_json(200, {}, {"X-Goog-Upload-URL": url, "X-Goog-Upload-Status": "active"})
            return
        with self.server.lock:
            pending = self.server.uploads.get(upload_id)
        if pending is None:
            self._send_json(404, google_error(404, "NOT_FOUND", "Unknown upload id."))
            return
        if "upload" not in command or self.headers.get("X-Goog-Upload-Offset") != "0":
            self._invalid("Expected X-Goog-Upload-Command: upload, finalize at offset 0.")
            return
        if "finalize" not in command or (pending["length"] and len(raw) != pending["length"]):
            self._send_json(
                400,
                google_error(400, "INVALID_ARGUMENT", "Incomplete upload."),
                {"X-Goog-Upload-Status": "active"},
            )
            return
        file_id = uuid.uuid4().hex[:12]
        name = f"files/{file_id}"
        file = {
            "name": name,
            "mimeType": pending["mime"],
            "sizeBytes": str(len(raw)),
            "sha256Hash": base64.b64encode(hashlib.sha256(raw).digest()).decode(),
            "uri": f"{self.server.base_url}/v1beta/{name}",
            "state": "ACTIVE",
            "source": "UPLOADED",
        }
        if pending["meta"].get("displayName"):
            file["displayName"] = pending["meta"]["displayName"]
        with self.server.lock:
            self.server.uploads.pop(upload_id, None)
            self.server.files[name] = {**file, "data": raw}
        self._send_json(200, {"file": file}, {"X-Goog-Upload-Status": "final"})

    def _known_file(self, uri: str) -> bool:
        name = "files/" + uri.rsplit("/files/", 1)[-1] if "/files/" in uri else uri
        with self.server.lock:
            return name in self.server.files
