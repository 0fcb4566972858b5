"""Per-API-key rate limit: a token bucket per key; 429 with Retry-After above it."""

from __future__ import annotations

import pytest

from service.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_bucket_allows_a_burst_then_refills_evenly():
    clock = Clock()
    rl = RateLimiter(60, clock)  # burst of 60, one per second after
    assert all(rl.take("k") == 0.0 for _ in range(60))
    assert rl.take("k") == pytest.approx(1.0)
    clock.t += 0.5
    assert rl.take("k") == pytest.approx(0.5)
    clock.t += 0.5
    assert rl.take("k") == 0.0
    assert rl.take("other") == 0.0  # buckets are per key
    clock.t += 3600
    assert sum(rl.take("k") == 0.0 for _ in range(100)) == 60  # never more than the burst


def test_zero_turns_the_limit_off_and_retry_after_is_whole_seconds():
    rl = RateLimiter(0)
    assert not rl.enabled and all(rl.take("k") == 0.0 for _ in range(10_000))
    assert RateLimiter.retry_after(0.01) == "1"
    assert RateLimiter.retry_after(2.2) == "3"


def test_api_answers_429_with_retry_after_per_key(make_api):
    api = make_api(rate_limit_per_minute=3)
    _, a = api.new_org()
    _, b = api.new_org()
    codes = [api.client.get("/v1/sessions", headers=a).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = api.client.get("/v1/sessions", headers=a)
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    err = r.json()["error"]
    assert err["code"] == "too_many_requests"
    assert "limit of 3 requests per minute" in err["message"]
    assert api.client.get("/v1/sessions", headers=b).status_code == 200  # another key is not affected
    assert api.client.get("/healthz").status_code == 200  # unauthenticated probes are not limited


def test_a_bad_key_is_401_not_429(make_api):
    api = make_api(rate_limit_per_minute=1)
    bad = {"Authorization": "Bearer cs_nope"}
    assert [api.client.get("/v1/sessions", headers=bad).status_code for _ in range(3)] == [401, 401, 401]


def test_openapi_documents_429_on_authenticated_routes(api):
    spec = api.client.get("/openapi.json").json()
    assert "429" in spec["paths"]["/v1/sessions"]["get"]["responses"]
    assert "429" in spec["paths"]["/v1/sessions/{session_id}/scorecard"]["get"]["responses"]
    assert "429" not in spec["paths"]["/share/{token}"]["get"]["responses"]


# --------------------------------------------------------------------------- Redis buckets

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_or_skip():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError as e:
        pytest.skip(f"no Redis at {REDIS_URL}: {e}")
    return client


@pytest.fixture
def redis_prefix():
    import secrets

    client = _redis_or_skip()
    prefix = f"coachscore-test-{secrets.token_hex(6)}:"
    yield prefix
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def test_redis_is_used_when_configured_and_memory_stays_the_default(tmp_path):
    from service.ratelimit import RedisRateLimiter, make_limiter, redis_url_for
    from service.settings import Settings

    embedded = Settings(home=tmp_path)
    assert redis_url_for(embedded) is None and isinstance(make_limiter(5, embedded, "api"), RateLimiter)
    amqp = Settings(home=tmp_path, queue="celery", broker_url="amqp://guest:guest@127.0.0.1:5672//")
    assert redis_url_for(amqp) is None  # RabbitMQ broker and no REDIS_URL: per process (warned)
    broker = Settings(home=tmp_path, queue="celery", broker_url="redis://10.0.0.9:6379/1")
    assert redis_url_for(broker) == "redis://10.0.0.9:6379/1"
    explicit = Settings(home=tmp_path, redis_url=REDIS_URL)
    assert isinstance(make_limiter(5, explicit, "api"), RedisRateLimiter)
    assert isinstance(make_limiter(0, explicit, "api"), RateLimiter)  # off: nothing to share


def test_two_limiters_on_one_redis_share_a_bucket(redis_prefix):
    import redis

    from service.ratelimit import RedisRateLimiter

    node_a = RedisRateLimiter(3, redis.Redis.from_url(REDIS_URL), redis_prefix)
    node_b = RedisRateLimiter(3, redis.Redis.from_url(REDIS_URL), redis_prefix)
    assert [node_a.take("k"), node_b.take("k"), node_a.take("k")] == [0.0, 0.0, 0.0]
    wait = node_b.take("k")
    assert 0 < wait <= 20.0 + 0.1  # 3 per minute: a token every 20 s
    assert node_a.take("k") > 0
    assert node_a.take("other") == 0.0  # buckets are per key


def test_two_api_nodes_share_the_limit_through_redis(make_api, redis_prefix):
    node_a = make_api(rate_limit_per_minute=3, redis_url=REDIS_URL, redis_prefix=redis_prefix)
    _, h = node_a.new_org()
    node_b = make_api(rate_limit_per_minute=3, redis_url=REDIS_URL, redis_prefix=redis_prefix)  # same database
    codes = [node.client.get("/v1/sessions", headers=h).status_code for node in (node_a, node_b, node_a, node_b)]
    assert codes == [200, 200, 200, 429]
    r = node_a.client.get("/v1/sessions", headers=h)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1


def test_redis_down_fails_open_with_one_warning(caplog):
    import redis

    from service.ratelimit import RedisRateLimiter

    dead = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2, socket_timeout=0.2)
    rl = RedisRateLimiter(1, dead, "x:", retry_s=0.0)
    with caplog.at_level("WARNING", logger="coachscore.ratelimit"):
        assert [rl.take("k") for _ in range(5)] == [0.0] * 5  # allowed, although the limit is 1
    warnings = [r for r in caplog.records if "Redis is unreachable" in r.getMessage()]
    assert len(warnings) == 1


def test_signin_limit_uses_the_same_backend(make_api, redis_prefix):
    from service.ratelimit import RedisRateLimiter

    api = make_api(signin_rate_per_minute=2, redis_url=REDIS_URL, redis_prefix=redis_prefix)
    assert isinstance(api.client.app.state.web_limiter, RedisRateLimiter)
    assert isinstance(api.client.app.state.ctx.limiter, RedisRateLimiter)
