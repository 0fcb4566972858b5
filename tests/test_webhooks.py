"""Webhook delivery refuses callback hosts whose names resolve to private addresses."""

from __future__ import annotations

import socket
import time

import pytest

from service import webhooks
from service.webhooks import WebhookSender, resolve_addresses

PUBLIC = "https://hooks.example.com/cs"


class FakeDns:
    """Host -> addresses; records lookups; an Exception value is raised."""

    def __init__(self, table: dict) -> None:
        self.table = table
        self.asked: list[str] = []

    def __call__(self, host: str) -> list[str]:
        self.asked.append(host)
        answer = self.table[host]
        if isinstance(answer, Exception):
            raise answer
        return answer


def _deliver(make_api, dns: FakeDns, url: str = PUBLIC, **settings):
    """Score one session with ``url`` as callback and deliver through ``dns``;
    return (api, the delivery row)."""
    from service.db import WebhookDelivery

    api = make_api(webhook_allow_private=settings.pop("webhook_allow_private", False), **settings)
    _, h = api.new_org()

    def post(url: str, body: bytes, headers: dict) -> int:
        api.sent.append((url, body, headers))
        return 200

    api.runner.worker.webhooks = WebhookSender(api.settings, post=post, resolve=dns)
    assert api.upload(h, callback_url=url).status_code == 202
    api.process()
    with api.client.app.state.ctx.factory() as db:
        return api, db.query(WebhookDelivery).one()


@pytest.mark.parametrize("addresses", [["10.1.2.3"], ["93.184.215.14", "127.0.0.1"], ["::1"],
                                       ["169.254.169.254"], ["::ffff:192.168.0.7"], ["fe80::1%eth0"]])
def test_host_resolving_to_a_private_address_is_refused_without_retry(make_api, addresses):
    api, d = _deliver(make_api, FakeDns({"hooks.example.com": addresses}))
    assert api.sent == []
    private = [a for a in addresses if a != "93.184.215.14"]
    assert (d.status, d.attempts) == ("failed", 1)
    assert d.last_error == (f"refused: callback host 'hooks.example.com' resolves to loopback/private address "
                            f"{', '.join(sorted(private))} (set webhook_allow_private to allow)")


def test_host_resolving_to_public_addresses_is_delivered(make_api):
    dns = FakeDns({"hooks.example.com": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]})
    api, d = _deliver(make_api, dns)
    assert dns.asked == ["hooks.example.com"] and len(api.sent) == 1
    assert (d.status, d.last_error) == ("delivered", None)


def test_allow_private_skips_the_lookup(make_api):
    dns = FakeDns({})
    api, d = _deliver(make_api, dns, url="http://intranet.local/hook", webhook_allow_private=True)
    assert dns.asked == [] and d.status == "delivered"


def test_a_name_that_does_not_resolve_is_retried(make_api):
    dns = FakeDns({"hooks.example.com": socket.gaierror(-2, "Name or service not known")})
    api, d = _deliver(make_api, dns, webhook_backoff_s=60)
    assert api.sent == []
    assert (d.status, d.attempts) == ("pending", 1)
    assert d.last_error == "gaierror: [Errno -2] Name or service not known"


def test_resolve_addresses_reads_getaddrinfo_and_times_out(monkeypatch):
    assert resolve_addresses("127.0.0.1", 5.0) == ["127.0.0.1"]  # a literal: no DNS query

    def slow(*args, **kwargs):
        time.sleep(0.5)
        return []

    monkeypatch.setattr(webhooks.socket, "getaddrinfo", slow)
    with pytest.raises(TimeoutError, match="resolving hooks.example.com took longer than 0.05 s"):
        resolve_addresses("hooks.example.com", 0.05)
