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


def test_pin_address_keeps_host_header_and_tls_name():
    from service.webhooks import pin_address

    url, headers, ext = pin_address("https://hooks.example.com/cs?x=1", {"A": "b"}, "93.184.215.14")
    assert url == "https://93.184.215.14/cs?x=1"
    assert headers == {"A": "b", "Host": "hooks.example.com"}
    assert ext == {"sni_hostname": "hooks.example.com"}
    url, headers, ext = pin_address("http://hooks.example.com:8080/cs", {}, "2606:2800:220:1::1")
    assert (url, headers, ext) == ("http://[2606:2800:220:1::1]:8080/cs", {"Host": "hooks.example.com:8080"}, {})
    # nothing to pin: an IP literal, or private targets allowed (no address checked)
    assert pin_address("https://93.184.215.14/cs", {}, "93.184.215.14")[0] == "https://93.184.215.14/cs"
    assert pin_address("https://hooks.example.com/cs", {}, None)[0] == "https://hooks.example.com/cs"


def test_delivery_connects_to_the_address_that_was_checked(make_api):
    """A rebinding DNS answers a public address to the check and a private one later:
    the POST must go to the checked address, never look the name up again."""
    import httpx

    from service.db import WebhookDelivery

    api = make_api(webhook_allow_private=False)
    _, h = api.new_org()
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    dns = FakeDns({"hooks.example.com": ["93.184.215.14"]})
    sender = WebhookSender(api.settings, resolve=dns, transport=httpx.MockTransport(handler))
    api.runner.worker.webhooks = sender
    assert api.upload(h, callback_url=PUBLIC).status_code == 202
    api.process()
    with api.client.app.state.ctx.factory() as db:
        d = db.query(WebhookDelivery).one()
    assert (d.status, d.attempts) == ("delivered", 1)
    assert dns.asked == ["hooks.example.com"]
    (req,) = seen
    assert req.url.host == "93.184.215.14" and req.url.path == "/cs"
    assert req.headers["host"] == "hooks.example.com"
    assert req.extensions["sni_hostname"] == "hooks.example.com"
    assert req.headers[webhooks.SIGNATURE_HEADER].startswith("sha256=")
    sender.close()
