"""Errors of the web pages. They are ``ApiError``s, so an API client that calls a web route
gets the usual JSON envelope; a browser gets an HTML page (see ``service.web.negotiate``)."""

from __future__ import annotations

from service.errors import ApiError


class FormError(ApiError):
    """A form was filled in wrongly: the page shows the form again with ``message``."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(status, "form_error", message)


class SignInRequired(ApiError):
    """The page needs a signed-in user; a browser is sent to the sign-in page."""

    def __init__(self) -> None:
        super().__init__(401, "sign_in_required", "Please sign in to see this page.")


class CsrfError(ApiError):
    def __init__(self) -> None:
        super().__init__(
            403, "csrf_failed",
            "This form has expired or did not come from this site. Go back, reload the page and try again.",
        )


def link_error(reason: str) -> ApiError:
    """An invitation or reset link that cannot be used (unknown, expired or used)."""
    return ApiError(404, "link_not_valid", reason)
