"""Settings from environment variables (prefix ``COACHSCORE_``) and an optional TOML
config file named by ``COACHSCORE_CONFIG`` (keys are the field names, e.g.
``whisper_model = "base"``). Precedence: init arguments > environment > config file >
defaults. Nothing is created at import time: call ``get_settings()``."""

from __future__ import annotations

from functools import lru_cache
import os
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from models.config import DEFAULT_WHISPER, ModelConfig


def _default_home() -> Path:
    return Path.home() / ".local" / "share" / "coachscore"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COACHSCORE_", env_file=None, extra="ignore")

    home: Path = Field(default_factory=_default_home, description="Base directory for data and models.")
    models_dir: Path | None = Field(None, description="Model cache; default HOME/models.")
    whisper_model: str = DEFAULT_WHISPER
    device: str = "cpu"
    compute_type: str = "int8"
    language: str | None = "en"
    cpu_threads: int = 0
    pyannote_pipeline_dir: Path | None = None

    # --- REST service (engineer H6) -------------------------------------------------
    database_url: str | None = Field(
        None,
        validation_alias=AliasChoices("COACHSCORE_DATABASE_URL", "database_url"),
        description="SQLAlchemy URL (env COACHSCORE_DATABASE_URL or DATABASE_URL); "
        "default a SQLite file under HOME/data.",
    )
    data_dir: Path | None = Field(None, description="Uploads and secrets; default HOME/data.")
    rubrics_dir: Path | None = Field(None, description="Operator rubrics (ID.toml); default HOME/rubrics.")
    max_upload_mb: float = Field(1024.0, gt=0, description="Largest accepted upload, MiB (413 above).")
    min_speech_s: float | None = Field(
        None, ge=0, description="Seconds of speech a recording needs, for every upload and `analyze`, "
        "instead of the rubric's [limits] min_speech_s (default 20); 0 accepts any recording that decodes."
    )
    max_transcript_mb: float = Field(20.0, gt=0, description="Largest transcript import, MiB.")
    keep_audio: bool = Field(True, description="Keep recordings after processing (False: delete when done).")
    retention_purge_s: float = Field(
        3600.0, gt=0, description="How often the retention purge runs (embedded worker, Celery beat), seconds."
    )
    worker_concurrency: int = Field(1, ge=1, le=64, description="Jobs processed at once by a worker.")
    embedded_worker: bool = Field(True, description="`serve` starts a worker process beside the API.")
    worker_nice: int = Field(
        10, ge=0, le=19, description="CPU niceness added to worker processes so API reads stay fast."
    )
    auto_migrate: bool = Field(True, description="Apply database migrations when the server starts.")
    model_backend: Literal["real", "fake"] = Field(
        "real", description="fake: scripted stand-in ASR and diarizer, no spaCy (tests, load "
        "and crash scripts); every recording becomes the same short talk."
    )
    fake_model_delay_s: float = Field(
        0.0, ge=0, description="With model_backend=fake: seconds each fake model stage takes."
    )
    queue: Literal["database", "celery"] = Field(
        "database", description="database: `serve` runs its own worker (one machine); celery: jobs "
        "go to `coachscore worker` processes through the broker (many machines)."
    )
    broker_url: str = Field(
        "amqp://guest:guest@127.0.0.1:5672//", description="Celery broker (RabbitMQ amqp:// or Redis redis://)."
    )
    celery_queue_prefix: str = Field(
        "", description="Prefix of the Celery queue names (several deployments on one broker)."
    )
    storage_url: str | None = Field(
        None, description="Where recordings live: unset, DATA_DIR on this machine's disk (one "
        "machine); s3://bucket/prefix, an S3-compatible bucket every API node and worker shares "
        "(endpoint, region and credentials below, or boto3's AWS_* variables and ~/.aws)."
    )
    s3_endpoint_url: str | None = Field(
        None, description="S3 endpoint, e.g. http://seaweedfs:8333 (unset: AWS, or AWS_ENDPOINT_URL)."
    )
    s3_region: str | None = Field(None, description="S3 region (unset: AWS_REGION / ~/.aws, else us-east-1).")
    s3_access_key_id: str | None = Field(None, description="S3 access key (unset: AWS_ACCESS_KEY_ID / ~/.aws).")
    s3_secret_access_key: SecretStr | None = Field(
        None, description="S3 secret key (unset: AWS_SECRET_ACCESS_KEY / ~/.aws)."
    )
    s3_part_size_mb: float = Field(
        8.0, ge=5, le=512, description="Multipart upload part size, MiB (S3's minimum is 5)."
    )
    s3_upload_concurrency: int = Field(
        4, ge=1, le=32, description="Parts of one upload sent at once (memory ~ this x part size)."
    )
    job_max_attempts: int = Field(2, ge=1, description="Tries per job when a worker dies mid-job.")
    job_lease_s: float = Field(60.0, gt=0, description="A running job without heartbeat this long is stale.")
    job_poll_s: float = Field(0.5, gt=0, description="Worker poll interval for new jobs, seconds.")
    worker_heartbeat_timeout_s: float = Field(
        30.0, gt=0, description="The embedded worker process counts as hung when it has not "
        "reported for this long, seconds: /readyz answers 503 and the server restarts it."
    )
    public_base_url: str = Field("http://127.0.0.1:8000", description="Base of URLs handed to clients.")
    share_secret: str | None = Field(
        None, description="Unused, accepted so that older configurations still load: share links are "
        "random tokens stored hashed in the database (migration 0004), so API nodes need no shared key."
    )
    share_ttl_s: int = Field(7 * 24 * 3600, gt=0, description="Default lifetime of share links, seconds.")
    rate_limit_per_minute: int = Field(
        1200, ge=0, description="Requests per minute per API key (a burst of that many, then "
        "refilled evenly; shared by all API nodes when Redis is configured, else per API process); "
        "429 above it; 0 turns the limit off."
    )
    redis_url: str | None = Field(
        None, description="Redis holding the rate-limit buckets shared by all API nodes (redis://); "
        "default: the Celery broker when it is redis://, else none (limits per process)."
    )
    redis_prefix: str = Field("coachscore:", description="Prefix of this deployment's Redis keys.")
    webhook_timeout_s: float = Field(10.0, gt=0)
    webhook_max_attempts: int = Field(6, ge=1)
    webhook_backoff_s: float = Field(2.0, ge=0, description="First retry delay; doubles per attempt.")
    webhook_allow_private: bool = Field(
        False, description="Allow callback URLs on loopback/private addresses (tests, labs)."
    )

    # --- web sign-in (issue 10) -------------------------------------------------------
    web_session_hours: float = Field(12.0, gt=0, description="A browser stays signed in this long, hours.")
    signin_max_failures: int = Field(
        5, ge=1, description="Wrong passwords in a row that lock an account."
    )
    signin_lockout_minutes: float = Field(15.0, gt=0, description="How long a locked account stays locked.")
    signin_rate_per_minute: int = Field(
        20, ge=0, description="Sign-in attempts per minute per client address (in Redis like the API "
        "limit, else per process); 0 = off."
    )
    invite_ttl_hours: float = Field(72.0, gt=0, description="Lifetime of invitation links, hours.")
    reset_ttl_hours: float = Field(24.0, gt=0, description="Lifetime of password-reset links, hours.")
    mailer: str = Field(
        "service.web.mail:LogMailer",
        description="module:callable building the mailer for invitation/reset links "
        "(called with the settings); the default logs the link for an admin to copy.",
    )

    @field_validator("storage_url")
    @classmethod
    def _storage_url(cls, v: str | None) -> str | None:
        if not v or not v.strip():
            return None
        from urllib.parse import urlsplit

        parts = urlsplit(v.strip())
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError("storage_url must be s3://bucket/prefix (or unset for local disk)")
        return v.strip()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: tuple[PydanticBaseSettingsSource, ...] = (init_settings, env_settings)
        config_file = os.environ.get("COACHSCORE_CONFIG")
        if config_file:
            path = Path(config_file)
            if not path.is_file():
                raise ValueError(f"COACHSCORE_CONFIG names {path}, which is not a file")
            sources += (TomlConfigSettingsSource(settings_cls, toml_file=path),)
        return sources

    def resolved_data_dir(self) -> Path:
        return self.data_dir or self.home / "data"

    def resolved_rubrics_dir(self) -> Path:
        return self.rubrics_dir or self.home / "rubrics"

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.resolved_data_dir() / 'coachscore.db'}"

    def resolved_models_dir(self) -> Path:
        return self.models_dir or self.home / "models"

    def model_config_(self) -> ModelConfig:
        return ModelConfig(
            models_dir=self.resolved_models_dir(),
            whisper_model=self.whisper_model,
            device=self.device,
            compute_type=self.compute_type,
            language=None if (self.language or "auto") == "auto" else self.language,
            cpu_threads=self.cpu_threads,
            pyannote_pipeline_dir=self.pyannote_pipeline_dir,
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
