"""Recordings, content-addressed: ``audio/ab/<sha256><ext>``, on local disk (the default) or
in an S3-compatible bucket (``COACHSCORE_STORAGE_URL=s3://bucket/prefix``, ``service.storage_s3``).

Both implementations share one interface (``Storage``) and one upload path: the upload is
streamed chunk by chunk into a temporary spool file in ``DATA_DIR/tmp`` on this machine while
its SHA-256 and size are computed (so the upload checks can read a local file), then
committed to its content address: renamed into place on disk (same filesystem, atomic), or
sent to the bucket with a multipart upload straight from the spool file. The same content
uploaded twice is stored once; a recording is removed only when no session refers to it
(the caller asks the repository first). The ``relpath`` stored on a session is the same for
both backends, so the database does not say where the bytes live.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ContextManager, Iterator, Protocol

from analysis.errors import CoachscoreError

if TYPE_CHECKING:
    from service.settings import Settings

log = logging.getLogger("coachscore.storage")

_EXT = re.compile(r"^\.[a-z0-9]{1,5}$")
STALE_UPLOAD_S = 3600.0  # a partial upload untouched this long (seconds) is a crash leftover
READ_CHUNK = 256 * 1024  # bytes per chunk when streaming a recording out


class TooLarge(Exception):
    """The stream passed the size limit (the partial file has been removed)."""


class StorageError(CoachscoreError):
    """Recording storage cannot be reached or refused a request (503 in the API)."""

    code = "storage_error"


class RecordingMissing(StorageError):
    """The recording a session names is not (or no longer) stored."""

    code = "audio_missing"


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int  # bytes
    relpath: str  # the content address, e.g. audio/ab/<sha>.wav


class Storage(Protocol):
    """Where recordings live. ``root`` is this machine's data dir (upload spool in root/tmp)."""

    root: Path

    def ensure(self) -> None:
        """Create the local directories (never fails for a remote problem: see ``problem``)."""

    def problem(self) -> str | None:
        """Why recordings cannot be stored or read now, in plain words; None when fine."""

    def open_temp(self) -> "TempUpload":
        """A new spool file for an upload (local disk, hashed as it is written)."""

    def commit(self, temp: "TempUpload", filename: str | None) -> StoredFile:
        """Store a finished spool file at its content address (once per content)."""

    def delete(self, relpath: str | None) -> bool:
        """Remove a stored recording; True when something was removed."""

    def size(self, relpath: str | None) -> int | None:
        """The stored recording's size in bytes; None when it is not stored."""

    def local_copy(self, relpath: str) -> ContextManager[Path]:
        """A local file with the recording for the time of the ``with`` block (then cleaned up).
        Raises RecordingMissing when it is not stored."""

    def read(self, relpath: str, start: int, end: int) -> Iterator[bytes]:
        """Bytes ``start``..``end`` (inclusive offsets) of a stored recording, in chunks."""

    def clean_tmp(self, older_than_s: float = STALE_UPLOAD_S) -> int:
        """Remove leftovers of uploads a crash interrupted; return how many."""


def open_storage(settings: "Settings") -> Storage:
    """The storage ``settings`` name: the bucket of ``storage_url``, else ``DATA_DIR`` on disk."""
    if settings.storage_url:
        from service.storage_s3 import S3Storage  # boto3 loads only when configured

        return S3Storage.from_settings(settings)
    return LocalStorage(settings.resolved_data_dir())


def content_relpath(sha256: str, filename: str | None) -> str:
    return f"audio/{sha256[:2]}/{sha256}{safe_extension(filename)}"


class LocalStorage:
    """Recordings under ``root`` (the data dir)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def ensure(self) -> None:
        for sub in ("audio", "tmp"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    def problem(self) -> str | None:
        return spool_problem(self.root)

    def path(self, relpath: str) -> Path:
        return self.root / relpath

    def open_temp(self) -> "TempUpload":
        return open_spool(self.root)

    def commit(self, temp: "TempUpload", filename: str | None) -> StoredFile:
        """Move a finished temp upload to its content address; return where it lives."""
        sha = temp.hexdigest()
        rel = content_relpath(sha, filename)
        dest = self.root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.exists():
            temp.discard()
        else:
            os.replace(temp.path, dest)
        return StoredFile(sha, temp.size, rel)

    def delete(self, relpath: str | None) -> bool:
        if not relpath:
            return False
        try:
            (self.root / relpath).unlink()
            return True
        except FileNotFoundError:
            return False

    def size(self, relpath: str | None) -> int | None:
        path = self.root / relpath if relpath else None
        return path.stat().st_size if path is not None and path.is_file() else None

    @contextmanager
    def local_copy(self, relpath: str) -> Iterator[Path]:
        """The stored file itself (already local: nothing to copy or clean up)."""
        path = self.root / relpath
        if not path.is_file():
            raise RecordingMissing("the recording is no longer stored")
        yield path

    def read(self, relpath: str, start: int, end: int) -> Iterator[bytes]:
        with open(self.root / relpath, "rb") as fh:
            fh.seek(start)
            left = end - start + 1
            while left > 0 and (chunk := fh.read(min(READ_CHUNK, left))):
                left -= len(chunk)
                yield chunk

    def clean_tmp(self, older_than_s: float = STALE_UPLOAD_S) -> int:
        """Remove partial uploads left by a crash; return how many were removed.

        Only ``upload-*.part`` files not written to for ``older_than_s`` seconds go: an
        upload in progress rewrites its file's mtime with every chunk, so a recent file may
        belong to another API process sharing this data dir and is left alone. Called once
        when the API starts (``service.app.open_context``).
        """
        return clean_spool(self.root, older_than_s)


def open_spool(root: Path) -> "TempUpload":
    (root / "tmp").mkdir(parents=True, exist_ok=True)
    return TempUpload(root / "tmp" / f"upload-{secrets.token_hex(8)}.part")


def spool_problem(root: Path) -> str | None:
    """None when ``root/tmp`` is writable, else the reason (logged)."""
    try:
        probe = root / "tmp" / f".ready-{secrets.token_hex(4)}"
        probe.parent.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"ok")
        probe.unlink()
        return None
    except OSError as e:
        log.warning("storage check failed: %s", e)
        return "recording storage is not writable"


def clean_spool(root: Path, older_than_s: float) -> int:
    """Remove ``root/tmp/upload-*.part`` files (partial uploads) and ``fetch-*`` folders
    (a worker's copies of recordings) untouched for ``older_than_s`` seconds."""
    cutoff = time.time() - older_than_s
    count = 0
    for p in [*(root / "tmp").glob("upload-*.part"), *(root / "tmp").glob("fetch-*")]:
        try:
            if p.stat().st_mtime >= cutoff:
                continue
            shutil.rmtree(p) if p.is_dir() else p.unlink()
        except FileNotFoundError:  # finished or removed by another process meanwhile
            continue
        count += 1
    return count


class TempUpload:
    """A file being written: hashes and counts bytes; enforces ``limit`` (bytes)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = 0
        self._hash = hashlib.sha256()
        self._fh = open(path, "wb")

    def write(self, chunk: bytes, limit: int) -> None:
        self.size += len(chunk)
        if self.size > limit:
            self.discard()
            raise TooLarge(f"upload exceeds {limit} bytes")
        self._hash.update(chunk)
        self._fh.write(chunk)

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()

    def hexdigest(self) -> str:
        return self._hash.hexdigest()

    def discard(self) -> None:
        if not self._fh.closed:
            self._fh.close()
        self.path.unlink(missing_ok=True)


def safe_extension(filename: str | None) -> str:
    """Lower-case extension of a client filename if it is short and alphanumeric, else ''."""
    if not filename:
        return ""
    ext = Path(filename).suffix.lower()
    return ext if _EXT.match(ext) else ""


def probe_audio(path: Path) -> float | None:
    """Check that ``path`` is a recording the decoder accepts; return its stated duration in
    seconds (None when the container does not state it).

    The container and audio-stream rules are the decoder's own (``models.decode.probe_audio``:
    the same demuxer allow-list, so an upload accepted here is not refused by the worker for
    its format). Then the first audio frame is decoded, so a corrupt track is refused now
    rather than in the worker. Cheap: headers plus one frame.

    Raises UnsupportedMediaError (code ``unsupported_media``) with a message that does not
    name ``path`` (a temporary file the client never saw).
    """
    from analysis.errors import AudioDecodeError, UnsupportedMediaError
    from models import decode

    try:
        info = decode.probe_audio(path)
    except UnsupportedMediaError as e:
        raise UnsupportedMediaError(
            f"the file is not a recording in a supported format ({decode.SUPPORTED_LIST})"
        ) from e
    except AudioDecodeError as e:  # empty, no audio track: also unsupported media at upload
        raise UnsupportedMediaError(e.message.removeprefix(f"{path.name}: ")) from e
    _decode_first_frame(path)
    return info.duration_s


def _decode_first_frame(path: Path) -> None:
    """Raise UnsupportedMediaError unless the first audio stream yields a non-empty frame."""
    import av  # heavy import kept local

    from analysis.errors import UnsupportedMediaError

    corrupt = "the audio track is corrupt and cannot be decoded"
    try:
        with av.open(str(path), mode="r") as container:
            for frame in container.decode(container.streams.audio[0]):
                if frame.samples > 0:
                    return
    except (av.error.FFmpegError, OSError, ValueError) as e:
        raise UnsupportedMediaError(corrupt) from e
    raise UnsupportedMediaError(corrupt)
