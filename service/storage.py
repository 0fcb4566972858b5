"""Recordings on disk, content-addressed: ``DATA_DIR/audio/ab/<sha256><ext>``.

Uploads are streamed chunk by chunk into a temporary file in ``DATA_DIR/tmp`` while the
SHA-256 and size are computed, then renamed into place (same filesystem, atomic). The same
content uploaded twice is stored once; a file is removed only when no session refers to it.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

_EXT = re.compile(r"^\.[a-z0-9]{1,5}$")
STALE_UPLOAD_S = 3600.0  # a partial upload untouched this long (seconds) is a crash leftover


class TooLarge(Exception):
    """The stream passed the size limit (the partial file has been removed)."""


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int  # bytes
    relpath: str  # relative to the data dir


class Storage:
    """File storage under ``root`` (the data dir)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def ensure(self) -> None:
        for sub in ("audio", "tmp"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    def path(self, relpath: str) -> Path:
        return self.root / relpath

    def open_temp(self) -> "TempUpload":
        self.ensure()
        return TempUpload(self.root / "tmp" / f"upload-{secrets.token_hex(8)}.part")

    def commit(self, temp: "TempUpload", filename: str | None) -> StoredFile:
        """Move a finished temp upload to its content address; return where it lives."""
        sha = temp.hexdigest()
        ext = safe_extension(filename)
        rel = f"audio/{sha[:2]}/{sha}{ext}"
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

    def clean_tmp(self, older_than_s: float = STALE_UPLOAD_S) -> int:
        """Remove partial uploads left by a crash; return how many were removed.

        Only ``upload-*.part`` files not written to for ``older_than_s`` seconds go: an
        upload in progress rewrites its file's mtime with every chunk, so a recent file may
        belong to another API process sharing this data dir and is left alone. Called once
        when the API starts (``service.app.open_context``).
        """
        cutoff = time.time() - older_than_s
        count = 0
        for p in (self.root / "tmp").glob("upload-*.part"):
            try:
                if p.stat().st_mtime >= cutoff:
                    continue
                p.unlink()
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
