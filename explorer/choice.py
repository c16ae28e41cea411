"""Which model the explorer shows: the project's, or the one the environment names.

``python -m explorer.serve --mdl PATH [--metadata PATH]`` sets :data:`MDL_ENV` and :data:`METADATA_ENV`;
``SD_MODEL_MDL=PATH streamlit run app.py`` works too. This module does not import Streamlit, so that
the launcher checks the model before anything else starts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import sd_model
from sd_model.paths import beside

#: The environment variables that name the model shown: its ``.mdl`` and, optionally, its metadata
#: (default: ``model.toml`` beside the ``.mdl`` when there is one).
MDL_ENV, METADATA_ENV = "SD_MODEL_MDL", "SD_MODEL_METADATA"


class ModelChoiceError(ValueError):
    """The environment names a model that cannot be shown; the message is one line."""


def model_files(environ: Mapping[str, str] | None = None) -> tuple[str | None, str | None]:
    """The ``.mdl`` and metadata files the environment names, resolved: ``(None, None)`` for the project's
    model; the metadata is :data:`METADATA_ENV`, else ``model.toml`` beside the ``.mdl``, else None.

    Raises
    ------
    ModelChoiceError
        For a file that is not there or not a Vensim ``.mdl``, in one line.
    """
    environ = os.environ if environ is None else environ
    mdl, metadata = environ.get(MDL_ENV) or None, environ.get(METADATA_ENV) or None
    if mdl is None:
        if metadata is not None:
            raise ModelChoiceError(f"{METADATA_ENV} names a metadata file but {MDL_ENV} names no model")
        return None, None
    path = Path(mdl).expanduser()
    if not path.is_file():
        raise ModelChoiceError(f"{mdl}: no such model file")
    if path.suffix.lower() != ".mdl":
        raise ModelChoiceError(f"{mdl}: not a Vensim model (a .mdl file)")
    if metadata is not None:
        if not Path(metadata).expanduser().is_file():
            raise ModelChoiceError(f"{metadata}: no such metadata file")
        chosen = Path(metadata).expanduser()
    else:
        chosen = beside(path, "model.toml")
        chosen = chosen if chosen.is_file() else None
    return str(path.resolve()), None if chosen is None else str(chosen.resolve())


def load_chosen(files: tuple[str | None, str | None]) -> sd_model.Model:
    """The model of :func:`model_files` (uncached); ``ModelChoiceError`` in one line when it does not load."""
    mdl, metadata = files
    if mdl is None:
        return sd_model.default_model()
    try:
        return sd_model.load_model(mdl, metadata)
    except Exception as err:  # PySD's translation, the metadata's checks: any failure is one line
        message = one_line(err)
        raise ModelChoiceError(message if Path(mdl).name in message else f"{Path(mdl).name}: {message}") from None


def one_line(err: BaseException) -> str:
    """The first line of an error's message (its type when the message is empty)."""
    text = str(err).strip()
    return text.splitlines()[0][:300] if text else type(err).__name__
