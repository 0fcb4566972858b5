"""Webhooks: a signed POST to a session's own ``callback_url`` when it is done or failed.

The body is JSON; header ``X-Coachscore-Signature: sha256=<hex>`` is HMAC-SHA256 of the
raw body with the organisation's webhook secret (printed by ``coachscore admin
create-org``). Deliveries are rows in ``webhook_deliveries``, sent by the worker and retried
with exponential backoff (``webhook_backoff_s`` * 2**n) up to ``webhook_max_attempts``.
A delivery only ever carries the data of the session (and organisation) that asked for it.

Unless ``webhook_allow_private``, callback hosts are checked twice: a loopback/private IP
literal is refused when the URL is submitted (422), and at delivery time the host name is
resolved and the delivery refused (status ``failed``, reason in ``last_error``, no retry)
when any address it resolves to is loopback, private, link-local, reserved or unspecified.
The POST then goes to the address that was checked (Host header and TLS server name stay
the callback's host name), so a second DNS answer cannot redirect it (DNS rebinding).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import threading
from datetime import timedelta
from typing import Any, Callable, Sequence
from urllib.parse import urlsplit, urlunsplit

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from service.db import CoachingSession, Org, WebhookDelivery, WebhookEndpoint, new_id, utcnow
from service.errors import ApiError
from service.settings import Settings

log = logging.getLogger("coachscore.webhooks")
SIGNATURE_HEADER = "X-Coachscore-Signature"
Post = Callable[[str, bytes, dict], int]  # (url, body, headers) -> HTTP status


def sign(secret: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of body>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, body), signature)


def validate_callback_url(url: str, allow_private: bool) -> str:
    """Accept absolute http(s) URLs; refuse loopback/private literal hosts unless allowed."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2000:
        raise ApiError(422, "validation_error", "callback_url must be an absolute http(s) URL")
    if not allow_private and _private_host(parts.hostname):
        raise ApiError(
            422, "validation_error", "callback_url must not point at a loopback or private address"
        )
    return url


def _private_host(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        return True
    return _private_ip(host)


def _parse_ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address ``address`` spells (IPv6 zone id dropped), or None for a host name.
    Also reads the legacy IPv4 spellings resolvers accept (inet_aton): 2130706433,
    0x7f000001, 127.1 and 0177.0.0.1 are all 127.0.0.1."""
    try:
        return ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        pass
    if not address or not all(c in "0123456789abcdefABCDEFxX." for c in address):
        return None  # inet_aton forgives trailing text after a space; keep to numeric spellings
    try:
        return ipaddress.IPv4Address(socket.inet_aton(address))
    except OSError:
        return None


def _private_ip(address: str) -> bool:
    """Whether ``address`` is an IP literal in a range a callback must not reach."""
    ip = _parse_ip(address)
    if ip is None:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_unspecified


def resolve_addresses(host: str, timeout_s: float) -> list[str]:
    """The IP addresses ``host`` resolves to (``socket.getaddrinfo``, TCP). The lookup runs
    in a daemon thread so a hung resolver costs at most ``timeout_s`` seconds. Raises
    OSError (including TimeoutError) when the name does not resolve in time."""
    found: dict[str, Any] = {}

    def lookup() -> None:
        try:
            infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
            found["addresses"] = sorted({str(info[4][0]) for info in infos})
        except OSError as e:
            found["error"] = e

    thread = threading.Thread(target=lookup, name="webhook-dns", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        raise TimeoutError(f"resolving {host} took longer than {timeout_s:g} s")
    if "error" in found:
        raise found["error"]
    return found["addresses"]


def enqueue_for_session(db: Session, session: CoachingSession, base_url: str) -> None:
    """Queue the done/failed notification for ``session`` to its own ``callback_url`` and,
    unless the session is private (a self-review), to each of the organisation's webhook
    endpoints (one delivery per distinct URL)."""
    urls = [session.callback_url] if session.callback_url else []
    if not session.private:
        endpoints = select(WebhookEndpoint.url).where(WebhookEndpoint.org_id == session.org_id)
        urls += [u for u in db.scalars(endpoints.order_by(WebhookEndpoint.created_at)) if u not in urls]
    if not urls:
        return
    body = {
        "event": f"session.{session.status}",
        "event_id": new_id("evt"),
        "session_id": session.id,
        "status": session.status,
        "status_url": f"{base_url}/v1/sessions/{session.id}",
        "scorecard_url": f"{base_url}/v1/sessions/{session.id}/scorecard" if session.status == "done" else None,
        "overall_score": session.overall_score,
        "error": _error(session),
        "created_at": utcnow().isoformat(),
    }
    for url in urls:
        db.add(WebhookDelivery(id=new_id("whk"), org_id=session.org_id, session_id=session.id, url=url,
                               body=json.dumps(body, separators=(",", ":"))))


def _error(session: CoachingSession) -> dict[str, Any] | None:
    if session.status != "failed":
        return None
    return {"code": session.error_code, "message": session.error_message, "stage": session.error_stage}


class TargetRefused(Exception):
    """The callback host resolves to an address deliveries must not reach (not retried)."""


def pin_address(url: str, headers: dict, address: str | None) -> tuple[str, dict, dict]:
    """(URL with ``address`` as its host, headers with the original Host, httpx request
    extensions naming the TLS server) so the connection goes to the address that was
    checked while the certificate is still verified for the host name."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if address is None or _parse_ip(host) is not None:
        return url, headers, {}
    netloc = f"[{address}]" if ":" in address else address
    if parts.port is not None:
        netloc += f":{parts.port}"
    host_header = host if parts.port is None else f"{host}:{parts.port}"
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return urlunsplit(parts._replace(netloc=netloc)), {**headers, "Host": host_header}, extensions


class WebhookSender:
    """Sends due deliveries. Injectable for tests: ``post`` (url, body, headers) -> HTTP
    status (replaces the HTTP client and its address pinning), ``resolve`` host -> IP
    address strings (default: ``resolve_addresses``), and an httpx ``transport``."""

    def __init__(
        self,
        settings: Settings,
        post: Post | None = None,
        resolve: Callable[[str], Sequence[str]] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self._post = post
        self._resolve = resolve or (lambda host: resolve_addresses(host, settings.webhook_timeout_s))
        self._transport = transport
        self._client: httpx.Client | None = None

    def _httpx_post(self, url: str, body: bytes, headers: dict, address: str | None) -> int:
        """POST to ``address`` (when given) with the URL's host as Host header and TLS name."""
        if self._client is None:
            self._client = httpx.Client(
                timeout=self.settings.webhook_timeout_s, follow_redirects=False, transport=self._transport
            )
        url, headers, extensions = pin_address(url, headers, address)
        return self._client.post(url, content=body, headers=headers, extensions=extensions).status_code

    def deliver_due(self, factory: sessionmaker, limit: int = 20) -> int:
        """Try every pending delivery whose time has come; return how many were sent OK."""
        with factory() as db:
            ids = db.scalars(
                select(WebhookDelivery.id)
                .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= utcnow())
                .order_by(WebhookDelivery.next_attempt_at)
                .limit(limit)
            ).all()
        return sum(self._attempt(factory, i) for i in ids)

    def _attempt(self, factory: sessionmaker, delivery_id: str) -> bool:
        with factory() as db:
            d = db.get(WebhookDelivery, delivery_id)
            if d is None or d.status != "pending" or not self._claim(db, d):
                return False
            org = db.get(Org, d.org_id)
            body = d.body.encode()
            headers = {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(org.webhook_secret, body),
                "X-Coachscore-Delivery": d.id,
                "User-Agent": "coachscore-webhook/1",
            }
            url = d.url
        ok, err, final = self._send(url, body, headers)
        with factory() as db:
            d = db.get(WebhookDelivery, delivery_id)
            if d is None:
                return ok
            d.attempts += 1
            if ok:
                d.status, d.last_error = "delivered", None
            elif final or d.attempts >= self.settings.webhook_max_attempts:
                d.status, d.last_error = "failed", err
                log.warning("webhook %s to %s gave up after %d attempts: %s", d.id, d.url, d.attempts, err)
            else:
                d.last_error = err
                delay = self.settings.webhook_backoff_s * 2 ** (d.attempts - 1)
                d.next_attempt_at = utcnow() + timedelta(seconds=delay)
            db.commit()
        return ok

    def _claim(self, db: Session, d: WebhookDelivery) -> bool:
        """Push next_attempt_at forward so another worker does not send it at once."""
        lease = utcnow() + timedelta(seconds=self.settings.webhook_timeout_s + 5)
        res = db.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == d.id, WebhookDelivery.next_attempt_at == d.next_attempt_at)
            .values(next_attempt_at=lease)
        )
        db.commit()
        return res.rowcount == 1

    def _send(self, url: str, body: bytes, headers: dict) -> tuple[bool, str | None, bool]:
        """POST once; return (delivered, error, final): a refused target is final (no retry)."""
        try:
            address = self._check_target(url)
            if self._post is not None:
                status = self._post(url, body, headers)
            else:
                status = self._httpx_post(url, body, headers, address)
        except TargetRefused as e:
            return False, str(e), True
        except Exception as e:  # network errors, DNS failures included, are retried
            return False, f"{type(e).__name__}: {e}"[:500], False
        if 200 <= status < 300:
            return True, None, False
        return False, f"HTTP {status}", False

    def _check_target(self, url: str) -> str | None:
        """The checked address to connect to (None: no check, ``webhook_allow_private``).
        Raises TargetRefused when the URL's host resolves to a loopback/private address;
        OSError when it does not resolve."""
        if self.settings.webhook_allow_private:
            return None
        host = urlsplit(url).hostname or ""
        addresses = list(self._resolve(host))
        refused = sorted(a for a in addresses if _private_ip(a))
        if refused:
            raise TargetRefused(
                f"refused: callback host {host!r} resolves to loopback/private address "
                f"{', '.join(refused)} (set webhook_allow_private to allow)"
            )
        if not addresses:
            raise OSError(f"callback host {host!r} resolved to no address")
        return addresses[0]

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
