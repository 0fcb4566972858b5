"""How invitation and password-reset links reach people. No mail server is assumed: the
default mailer logs the link, and the admin who made it also sees it on the page to copy.
Another mailer is named by the ``mailer`` setting (``module:callable``, called with the
settings, returning an object with ``send``)."""

from __future__ import annotations

import importlib
import logging
from typing import Any, Protocol

log = logging.getLogger("coachscore.web.mail")


class Mailer(Protocol):
    def send(self, to: str, subject: str, body: str) -> None:
        """Deliver one plain-text message to ``to``; raise on failure."""


class LogMailer:
    """Writes each message to the log (level INFO) instead of sending it."""

    def __init__(self, settings: Any = None) -> None:
        self.settings = settings

    def send(self, to: str, subject: str, body: str) -> None:
        log.info("mail not sent (no mailer configured) to %s: %s\n%s", to, subject, body)


def make_mailer(settings: Any) -> Mailer:
    """The mailer named by ``settings.mailer``."""
    module, _, name = settings.mailer.partition(":")
    factory = getattr(importlib.import_module(module), name)
    return factory(settings)


def send_link(mailer: Mailer, to: str, purpose: str, url: str, hours: float) -> None:
    """Send an invitation (``purpose`` invite) or reset link; a mailer failure is logged,
    not raised: the admin still has the link on screen."""
    subject, verb = {
        "invite": ("You are invited to coachscore", "choose your password and sign in"),
        "reset": ("Reset your coachscore password", "choose a new password"),
    }[purpose]
    body = f"Open this link to {verb}:\n\n{url}\n\nIt works once, within {hours:g} hours."
    try:
        mailer.send(to, subject, body)
    except Exception:
        log.exception("could not send the %s link to %s", purpose, to)
