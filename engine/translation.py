"""Translate a Vensim ``.mdl`` once with PySD and reuse the translation.

PySD translation of the model takes a few hundred milliseconds; loading the translated Python file
takes a few. Translations are cached under :func:`engine.cache.cache_dir`, keyed by the SHA-256 of
the ``.mdl`` text and the PySD version, so an edited model is translated again and an unchanged one
never is. The source file is copied before translation: PySD writes its output beside its input and
nothing may write into the repository. A model that reads data files (``GET XLS``, ``GET DIRECT``)
gets links to the files beside it, where PySD looks for them.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pysd
from pysd.py_backend.lookups import HardcodedLookups

from .cache import cache_dir


def model_digest(mdl_file: Path) -> str:
    """Hash of the model text and the PySD version: the key of the translation cache."""
    return _digest(Path(mdl_file).read_bytes())


def _digest(data: bytes) -> str:
    digest = hashlib.sha256(data)
    digest.update(pysd.__version__.encode())
    return digest.hexdigest()


class ModelFileError(ValueError):
    """A model file that cannot be read: empty, not Vensim text, a syntax error, an undefined name."""


def _reason(err: Exception) -> str:
    """PySD's error in one line: what is wrong and where."""
    if isinstance(err, KeyError) and err.args:
        return f"it uses {err.args[0]!r}, which no equation defines"
    text = " ".join(str(err).split()) or type(err).__name__
    return f"{type(err).__name__}: {text[:240]}"


def check_text(mdl_file: Path, data: bytes) -> None:
    """Refuse, in one line, a model file (its bytes ``data``) that is empty or not text."""
    if not data.strip():
        raise ModelFileError(f"{mdl_file}: the model file is empty")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ModelFileError(f"{mdl_file}: not a text model file (byte {err.start} is not UTF-8)") from None


def translated_file(mdl_file: str | Path) -> Path:
    """Return the PySD translation of ``mdl_file``, translating it if the cache has none.

    Parameters
    ----------
    mdl_file : str or Path
        A Vensim model in text form.

    Returns
    -------
    Path
        The translated Python model file.
    """
    mdl_file = Path(mdl_file)
    if not mdl_file.is_file():
        raise FileNotFoundError(f"model file not found: {mdl_file}")
    data = mdl_file.read_bytes()  # read once: checked, hashed, compared and searched for data calls
    check_text(mdl_file, data)
    digest = _digest(data)
    target = cache_dir() / f"{mdl_file.stem}-{digest[:20]}"
    py_file = target / f"{mdl_file.stem}.py"
    if py_file.is_file():
        problem = _cache_problem(target, mdl_file, digest, hashlib.sha256(data).hexdigest())
        if problem is None:
            _link_data_files(mdl_file, target, data)
            return py_file
        if (target / MANIFEST).exists():  # without one it is only a translation from before the manifests
            warnings.warn(f"{target}: {problem}; translating {mdl_file.name} again", stacklevel=2)
        shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Translate in a private folder, then rename: concurrent processes never see half a file.
    work = Path(tempfile.mkdtemp(dir=target.parent, prefix=".translating-"))
    try:
        (work / mdl_file.name).write_bytes(data)
        _link_data_files(mdl_file, work, data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                pysd.read_vensim(str(work / mdl_file.name), initialize=False)
            except Exception as err:  # PySD's parser and builders raise many kinds: one line naming the file
                raise ModelFileError(f"{mdl_file}: not a model PySD can translate: {_reason(err)}") from None
        _write_manifest(work, mdl_file, digest)
        try:
            work.rename(target)
        except OSError:  # another process finished first; its translation is identical
            pass
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return py_file


#: Written beside each translation: the hashes checked before the translation is imported.
MANIFEST = "translation.json"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_manifest(folder: Path, mdl_file: Path, digest: str) -> None:
    py_file = folder / f"{mdl_file.stem}.py"
    manifest = {"model_digest": digest, "mdl_sha256": _sha256(folder / mdl_file.name), "py_sha256": _sha256(py_file)}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")


def _cache_problem(folder: Path, mdl_file: Path, digest: str, source: str) -> str | None:
    """Why a cached translation may not be imported (None: it may). The cached copy of the source must
    be the model file's text, and the translation the file written from it: a translation edited,
    replaced or cut short since is refused before any of it runs. ``source`` is the SHA-256 of the
    model file's text."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("model_digest") != digest:
            return "its manifest is for another model"
        if _sha256(folder / mdl_file.name) != source or manifest.get("mdl_sha256") != source:
            return "its copy of the model differs from the model file"
        if _sha256(folder / f"{mdl_file.stem}.py") != manifest.get("py_sha256"):
            return "the translation differs from the one written (edited or cut short)"
    except (OSError, ValueError, AttributeError):
        return "no readable manifest of hashes"
    return None


#: Vensim's functions that read data files (GET XLS DATA, GET DIRECT CONSTANTS, ...): a word such as
#: "budget" followed by a space is not one.
READS_DATA = re.compile(r"\bGET[ _]+(XLS|DIRECT|DATA|123|VDF)\b", re.IGNORECASE)


def _link_data_files(mdl_file: Path, folder: Path, data: bytes) -> None:
    """Link the files beside a model that reads data (GET XLS, GET DIRECT) into its translation's
    folder, where PySD looks for them (``data``: the model file's bytes)."""
    if not READS_DATA.search(data.decode("utf-8", errors="replace")):
        return
    for sibling in mdl_file.resolve().parent.iterdir():
        link = folder / sibling.name
        if sibling.is_file() and sibling.name != mdl_file.name and not link.exists():
            try:
                link.symlink_to(sibling)
            except FileExistsError:  # another process linked it first
                pass


class NumpyLookup(HardcodedLookups):
    """A one-dimensional lookup evaluated with :func:`numpy.interp`.

    PySD evaluates lookups through ``xarray.DataArray.interp``, which costs milliseconds a call and
    dominates a run of this model. ``numpy.interp`` gives the same piecewise-linear values, holds
    the end values outside the table as Vensim does, accepts arrays (which the batch engine needs)
    and does not warn when it extrapolates.
    """

    def __call__(self, x, final_subs=None):
        return np.interp(x, self.x_points, self.y_points)


def load_pysd(py_file: str | Path) -> pysd.py_backend.model.Model:
    """Load a translated model and switch its plain lookups to :class:`NumpyLookup`."""
    model = pysd.load(str(py_file))
    for lookup in model._lookup_elements:
        if isinstance(lookup, HardcodedLookups) and lookup.is_float and lookup.interp == "interpolate":
            lookup.x_points = np.asarray(lookup.data["lookup_dim"].values, dtype=float)
            lookup.y_points = np.asarray(lookup.data.values, dtype=float)
            lookup.__class__ = NumpyLookup
    return model
