"""Recordings in an S3-compatible bucket (``COACHSCORE_STORAGE_URL=s3://bucket/prefix``).

The upload is spooled to a local file first (``service.storage.open_spool``: hashed while it
is written, and the upload checks read it there), then sent to its content address
``<prefix>audio/ab/<sha256><ext>`` with a multipart upload straight from that file: parts
of ``s3_part_size_mb`` read from disk as they are sent, a few at a time, so memory stays a
few parts whatever the recording's size. Why spool rather than stream the request body
into a multipart upload to a temporary key and copy it server-side: the content address is
known only at the end, a server-side copy of a large object is itself a multipart copy, and
the decoder check before commit needs a local file anyway (``probe_audio``). The spool
costs local disk on the API node for the length of one request, nothing another node needs.

A multipart upload left by a crash is aborted by ``clean_tmp`` (called when the API starts)
once older than ``older_than_s``; a bucket lifecycle rule (AbortIncompleteMultipartUpload)
is a good second net. Workers read a recording into a temporary file
(``local_copy``); playback reads byte ranges (S3 ``Range`` GET).

Credentials, region and endpoint come from the settings (``s3_*``) or, when unset, from
boto3's usual sources (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION``,
``AWS_ENDPOINT_URL``, ``~/.aws``). Every botocore error is wrapped in ``StorageError`` with
a plain-English reason.
"""

from __future__ import annotations

import logging
import mimetypes
import secrets
import shutil
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Iterator
from urllib.parse import urlsplit

import boto3
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError, PartialCredentialsError,
)

from service.storage import (
    READ_CHUNK, STALE_UPLOAD_S, RecordingMissing, StorageError, StoredFile, TempUpload, clean_spool,
    content_relpath, open_spool, spool_problem,
)

if TYPE_CHECKING:
    from service.settings import Settings

log = logging.getLogger("coachscore.storage")

MiB = 1024 * 1024
_MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}
_REFUSED = {"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken",
            "ExpiredToken", "InvalidClientTokenId", "AuthorizationHeaderMalformed"}


def parse_storage_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> ("bucket", "some/prefix/"); the prefix may be empty."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"storage_url must look like s3://bucket/prefix, not {url!r}")
    prefix = parts.path.strip("/")
    return parts.netloc, f"{prefix}/" if prefix else ""


PROBLEM_TTL_S = 5.0  # how long a bucket check (HEAD) answers /readyz, seconds


class S3Storage:
    """Recordings in ``bucket`` under ``prefix``; ``root`` is this machine's spool dir."""

    def __init__(self, root: Path, bucket: str, prefix: str, client, *, part_size: int = 8 * MiB,
                 concurrency: int = 4, where: str = "S3") -> None:
        self.root, self.bucket, self.prefix, self.client = Path(root), bucket, prefix, client
        self.where = where  # for messages: the endpoint, never the credentials
        self._checked: tuple[float, str | None] | None = None  # (monotonic time, problem)
        # parts are read from the spool file as they are sent: memory ~ concurrency x part_size
        self.transfer = TransferConfig(multipart_threshold=part_size, multipart_chunksize=part_size,
                                       max_concurrency=concurrency, io_chunksize=READ_CHUNK)

    @classmethod
    def from_settings(cls, settings: "Settings") -> "S3Storage":
        bucket, prefix = parse_storage_url(settings.storage_url or "")
        secret = settings.s3_secret_access_key.get_secret_value() if settings.s3_secret_access_key else None
        concurrency = settings.s3_upload_concurrency
        config = Config(
            connect_timeout=5, read_timeout=60, retries={"max_attempts": 4, "mode": "standard"},
            max_pool_connections=max(10, 2 * concurrency),
            # path-style URLs and checksums only where required: what S3-compatible servers
            # (SeaweedFS, Garage, moto) accept, and AWS too
            s3={"addressing_style": "path"} if settings.s3_endpoint_url else {},
            request_checksum_calculation="when_required", response_checksum_validation="when_required",
        )
        client = boto3.session.Session().client(
            "s3", endpoint_url=settings.s3_endpoint_url or None, region_name=settings.s3_region or None,
            aws_access_key_id=settings.s3_access_key_id or None, aws_secret_access_key=secret, config=config,
        )
        where = f"bucket {bucket!r} at {client.meta.endpoint_url}"
        return cls(settings.resolved_data_dir(), bucket, prefix, client,
                   part_size=int(settings.s3_part_size_mb * MiB), concurrency=concurrency, where=where)

    # ------------------------------------------------------------------ the interface

    def ensure(self) -> None:
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)

    def problem(self) -> str | None:
        """Why storage cannot be used now, or None. The bucket check is remembered for
        ``PROBLEM_TTL_S`` seconds, so a health probe every second costs one HEAD per TTL."""
        local = spool_problem(self.root)
        if local:
            return local
        now = time.monotonic()
        if self._checked is not None and now - self._checked[0] < PROBLEM_TTL_S:
            return self._checked[1]
        self._checked = (now, self._bucket_problem())
        return self._checked[1]

    def _bucket_problem(self) -> str | None:
        try:
            with self._errors("reach the bucket"):
                self.client.head_bucket(Bucket=self.bucket)
        except StorageError as e:
            log.warning("storage check failed: %s", e.message)
            return e.message
        return None

    def open_temp(self) -> TempUpload:
        return open_spool(self.root)

    def commit(self, temp: TempUpload, filename: str | None) -> StoredFile:
        """Send the spool file to its content address (multipart) unless that object exists."""
        sha = temp.hexdigest()
        rel = content_relpath(sha, filename)
        try:
            if self._head(rel) is None:
                with self._errors("store the recording"):
                    self.client.upload_file(
                        str(temp.path), self.bucket, self.key(rel), Config=self.transfer,
                        ExtraArgs={"ContentType": _media_type(rel), "Metadata": {"sha256": sha}},
                    )
        finally:
            temp.discard()
        return StoredFile(sha, temp.size, rel)

    def delete(self, relpath: str | None) -> bool:
        if not relpath or self._head(relpath) is None:
            return False
        with self._errors("delete the recording"):
            self.client.delete_object(Bucket=self.bucket, Key=self.key(relpath))
        return True

    def size(self, relpath: str | None) -> int | None:
        head = self._head(relpath) if relpath else None
        return int(head["ContentLength"]) if head is not None else None

    @contextmanager
    def local_copy(self, relpath: str) -> Iterator[Path]:
        """Download the recording into ``root/tmp/fetch-*/<name>``; removed after the block."""
        folder = self.root / "tmp" / f"fetch-{secrets.token_hex(8)}"
        folder.mkdir(parents=True)
        path = folder / Path(relpath).name  # the stored name, as on local disk
        try:
            with self._errors("read the recording"):
                self.client.download_file(self.bucket, self.key(relpath), str(path), Config=self.transfer)
            yield path
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def read(self, relpath: str, start: int, end: int) -> Iterator[bytes]:
        """Bytes ``start``..``end`` (inclusive): one ranged GET, sent now (so an error is raised
        here, before any response starts), its body streamed by the returned iterator."""
        with self._errors("read the recording"):
            body = self.client.get_object(Bucket=self.bucket, Key=self.key(relpath),
                                          Range=f"bytes={start}-{end}")["Body"]
        return self._stream(body)

    def clean_tmp(self, older_than_s: float = STALE_UPLOAD_S) -> int:
        """Remove stale local spool files and abort the bucket's multipart uploads (under our
        prefix) begun more than ``older_than_s`` seconds ago: uploads a crash interrupted."""
        count = clean_spool(self.root, older_than_s)
        cutoff = datetime.now(timezone.utc) - timedelta(seconds=older_than_s)
        with self._errors("list unfinished uploads"):
            pages = self.client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=f"{self.prefix}audio/")
            for page in pages:
                for u in page.get("Uploads", []):
                    if u["Initiated"] <= cutoff:
                        self.client.abort_multipart_upload(Bucket=self.bucket, Key=u["Key"], UploadId=u["UploadId"])
                        count += 1
        return count

    # ------------------------------------------------------------------ helpers

    def key(self, relpath: str) -> str:
        return f"{self.prefix}{relpath}"

    def _head(self, relpath: str) -> dict | None:
        try:
            with self._errors("look up the recording", missing_ok=True):
                return self.client.head_object(Bucket=self.bucket, Key=self.key(relpath))
        except RecordingMissing:
            return None

    def _stream(self, body) -> Iterator[bytes]:
        try:
            with self._errors("read the recording"):
                yield from body.iter_chunks(READ_CHUNK)
        finally:
            body.close()

    @contextmanager
    def _errors(self, doing: str, missing_ok: bool = False) -> Iterator[None]:
        """Turn botocore/boto3 errors into StorageError (RecordingMissing for a missing object)."""
        try:
            yield
        except ClientError as e:
            code = str(e.response.get("Error", {}).get("Code", ""))
            if code in _MISSING and code != "NoSuchBucket" and (missing_ok or doing == "read the recording"):
                raise RecordingMissing("the recording is no longer stored") from e
            raise StorageError(self._explain(code, doing, e)) from e
        except (NoCredentialsError, PartialCredentialsError) as e:
            raise StorageError(
                f"recording storage ({self.where}) has no credentials: set COACHSCORE_S3_ACCESS_KEY_ID "
                "and COACHSCORE_S3_SECRET_ACCESS_KEY (or the AWS_* variables)") from e
        except EndpointConnectionError as e:
            raise StorageError(f"recording storage ({self.where}) cannot be reached") from e
        except (BotoCoreError, Boto3Error) as e:
            cause = e.__cause__ if isinstance(e.__cause__, ClientError) else None
            if cause is not None:
                code = str(cause.response.get("Error", {}).get("Code", ""))
                raise StorageError(self._explain(code, doing, cause)) from e
            raise StorageError(f"could not {doing} in recording storage ({self.where}): {e}") from e

    def _explain(self, code: str, doing: str, e: ClientError) -> str:
        if code == "NoSuchBucket" or (code in _MISSING and doing == "reach the bucket"):
            return f"recording storage: {self.where} does not exist (create the bucket, or fix COACHSCORE_STORAGE_URL)"
        if code in _REFUSED:
            return (f"recording storage refused the credentials for {self.where} ({code}): check "
                    "COACHSCORE_S3_ACCESS_KEY_ID and COACHSCORE_S3_SECRET_ACCESS_KEY")
        message = e.response.get("Error", {}).get("Message", "") or str(e)
        return f"could not {doing} in recording storage ({self.where}): {code or 'error'} {message}".strip()


def _media_type(relpath: str) -> str:
    return mimetypes.guess_type(relpath)[0] or "application/octet-stream"
