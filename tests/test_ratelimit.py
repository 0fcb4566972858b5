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
