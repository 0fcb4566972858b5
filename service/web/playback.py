"""A stored recording as an HTTP response that a media player can seek in: ``Range`` requests
get 206 with ``Content-Range`` (one range; several, or a malformed header, get the whole file
as RFC 9110 allows), an unsatisfiable range gets 416. Local files go through Starlette's
``FileResponse``; a bucket's recording is streamed from a ranged S3 GET."""

from __future__ import annotations

import mimetypes
import re
from urllib.parse import quote

from fastapi.responses import FileResponse, Response, StreamingResponse

from service.errors import ApiError
from service.storage import LocalStorage, Storage

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def recording_response(storage: Storage, relpath: str | None, filename: str | None, range_header: str | None,
                       headers: dict[str, str]) -> Response:
    """The recording at ``relpath`` (``filename``: the name the user uploaded); 404 when absent."""
    size = storage.size(relpath) if relpath else None
    if relpath is None or size is None:
        raise ApiError(404, "no_audio", "This session has no recording to play (it was imported or deleted).")
    name = filename or relpath.rsplit("/", 1)[-1]
    if isinstance(storage, LocalStorage):
        return FileResponse(storage.path(relpath), filename=name, content_disposition_type="inline", headers=headers)
    common = {**headers, "Accept-Ranges": "bytes", "Content-Disposition": _inline(name)}
    media_type = mimetypes.guess_type(name)[0] or mimetypes.guess_type(relpath)[0] or "application/octet-stream"
    wanted = byte_range(range_header, size)
    if wanted is None:
        return StreamingResponse(storage.read(relpath, 0, size - 1) if size else iter(()), media_type=media_type,
                                 headers={**common, "Content-Length": str(size)})
    if wanted == "unsatisfiable":
        return Response(status_code=416, headers={**common, "Content-Range": f"bytes */{size}"})
    start, end = wanted
    return StreamingResponse(storage.read(relpath, start, end), status_code=206, media_type=media_type,
                             headers={**common, "Content-Length": str(end - start + 1),
                                      "Content-Range": f"bytes {start}-{end}/{size}"})


def byte_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """(start, end) inclusive for a single ``bytes=`` range of a ``size``-byte file;
    "unsatisfiable" when it lies past the end; None to send the whole file."""
    m = _RANGE.match((header or "").strip().replace(" ", ""))
    if m is None or not (m[1] or m[2]) or size == 0:
        return None
    if not m[1]:  # bytes=-N: the last N bytes
        n = int(m[2])
        return (max(0, size - n), size - 1) if n > 0 else "unsatisfiable"
    start = int(m[1])
    end = min(int(m[2]), size - 1) if m[2] else size - 1
    if start >= size:
        return "unsatisfiable"
    return None if end < start else (start, end)


def _inline(filename: str) -> str:
    quoted = quote(filename)
    return f"inline; filename*=utf-8''{quoted}" if quoted != filename else f'inline; filename="{filename}"'
