"""Streaming multipart/form-data reader: the file part goes straight to disk.

Starlette's ``request.form()`` would spool the whole upload before we could enforce the
size limit; this reads ``request.stream()`` chunk by chunk into a ``TempUpload`` (hashing as
it goes) and keeps only the small text fields in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request
from python_multipart.multipart import MultipartParseError, MultipartParser, parse_options_header

from service.errors import ApiError
from service.storage import Storage, TempUpload, TooLarge

MAX_FIELD_BYTES = 8 * 1024
MAX_FIELDS = 20


@dataclass
class ParsedForm:
    fields: dict[str, str] = field(default_factory=dict)
    upload: TempUpload | None = None
    filename: str | None = None


class _Sink:
    def __init__(self, storage: Storage, file_field: str, text_fields: frozenset[str], limit: int) -> None:
        self.storage, self.file_field, self.text_fields, self.limit = storage, file_field, text_fields, limit
        self.form = ParsedForm()
        self._hname = b""
        self._hvalue = b""
        self._headers: dict[bytes, bytes] = {}
        self._name: str | None = None
        self._buf = bytearray()
        self._to_file = False

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda d, s, e: self._add("_hname", d[s:e]),
            "on_header_value": lambda d, s, e: self._add("_hvalue", d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _add(self, attr: str, data: bytes) -> None:
        setattr(self, attr, getattr(self, attr) + data)

    def _part_begin(self) -> None:
        self._headers, self._buf, self._name, self._to_file = {}, bytearray(), None, False

    def _header_end(self) -> None:
        self._headers[self._hname.lower()] = self._hvalue
        self._hname = self._hvalue = b""

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = params.get(b"name", b"").decode("utf-8", "replace")
        if not name:
            raise ApiError(400, "bad_request", "multipart part without a field name")
        self._name = name
        if name == self.file_field:
            if self.form.upload is not None:
                raise ApiError(400, "bad_request", f"field {name!r} given more than once")
            self.form.filename = params.get(b"filename", b"").decode("utf-8", "replace") or None
            self.form.upload = self.storage.open_temp()
            self._to_file = True
        elif name not in self.text_fields:
            raise self._unknown(name, b"filename" in params)
        elif len(self.form.fields) >= MAX_FIELDS:
            raise ApiError(400, "bad_request", f"too many form fields (at most {MAX_FIELDS})")

    def _unknown(self, name: str, is_file: bool) -> ApiError:
        """422 for a part the endpoint does not take, before any of its data is read."""
        if is_file:
            return ApiError(422, "validation_error", f"unknown field {name!r}: send the recording as {self.file_field!r}")
        known = ", ".join((self.file_field, *sorted(self.text_fields)))
        return ApiError(422, "validation_error", f"unknown field {name!r}; the fields are {known}")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._to_file:
            self.form.upload.write(data[start:end], self.limit)
            return
        self._buf += data[start:end]
        if len(self._buf) > MAX_FIELD_BYTES:
            raise ApiError(413, "too_large", f"form field {self._name!r} is over {MAX_FIELD_BYTES} bytes")

    def _part_end(self) -> None:
        if self._to_file:
            self.form.upload.close()
        elif self._name is not None:
            try:
                self.form.fields[self._name] = self._buf.decode("utf-8")
            except UnicodeDecodeError as e:
                raise ApiError(400, "bad_request", f"form field {self._name!r} is not UTF-8") from e


async def read_multipart(
    request: Request, storage: Storage, file_field: str, text_fields: frozenset[str], limit: int
) -> ParsedForm:
    """Parse the request body; the part named ``file_field`` is streamed to a temp file, the
    parts named in ``text_fields`` are kept as text.

    Raises ApiError 413 over ``limit`` bytes, 415 for a non-multipart body, 400 when
    malformed, 422 for a part of any other name. The caller owns (and must commit or
    discard) ``form.upload``.
    """
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    if ctype != b"multipart/form-data" or b"boundary" not in params:
        raise ApiError(415, "unsupported_media", "the request body must be multipart/form-data with a boundary")
    sink = _Sink(storage, file_field, text_fields, limit)
    parser = MultipartParser(params[b"boundary"], sink.callbacks())
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except TooLarge as e:
        raise ApiError(413, "too_large", f"the upload is larger than the limit of {round(limit / 2**20, 2):g} MiB") from e
    except MultipartParseError as e:
        _discard(sink.form)
        raise ApiError(400, "bad_request", f"malformed multipart body: {e}") from e
    except BaseException:
        _discard(sink.form)
        raise
    return sink.form


def _discard(form: ParsedForm) -> None:
    if form.upload is not None:
        form.upload.discard()
