"""Password hashing with argon2id (argon2-cffi's RFC 9106 low-memory profile: 64 MiB,
3 passes). A wrong password and an unknown account take the same time to refuse."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from service.web.errors import FormError

MIN_LENGTH = 10
MAX_LENGTH = 256  # argon2 hashes any length; a cap keeps a form post cheap


@lru_cache(maxsize=1)
def hasher() -> PasswordHasher:
    """The process's hasher (built on first use; tests may swap in cheaper parameters)."""
    return PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hasher().hash("not a password anyone has")


def hash_password(plain: str) -> str:
    return hasher().hash(plain)


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` was made with other parameters than the hasher's current ones."""
    return hasher().check_needs_rehash(stored)


def verify_password(stored: str | None, plain: str) -> bool:
    """Whether ``plain`` matches the stored hash; with no hash (an unknown account or one
    whose invitation is not accepted yet) a dummy hash is checked so the answer takes as long."""
    try:
        return hasher().verify(stored or _dummy_hash(), plain) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def check_new_password(plain: str, repeat: str) -> None:
    """Raise FormError unless ``plain`` is an acceptable new password typed the same twice."""
    if len(plain) < MIN_LENGTH:
        raise FormError(f"Choose a password of at least {MIN_LENGTH} characters.")
    if len(plain) > MAX_LENGTH:
        raise FormError(f"Choose a password of at most {MAX_LENGTH} characters.")
    if plain != repeat:
        raise FormError("The two passwords are not the same.")
