"""Translate a Vensim ``.mdl`` once with PySD and reuse the translation.

PySD translation of the model takes a few hundred milliseconds; loading the translated Python file
takes a few. Translations are cached under :func:`sd_model.paths.cache_dir`, keyed by the SHA-256 of
the ``.mdl`` text and the PySD version, so an edited model is translated again and an unchanged one
never is. The source file is copied before translation: PySD writes its output beside its input and
nothing may write into the repository. A model that reads data files (``GET XLS``, ``GET DIRECT``)
gets links to the files beside it, where PySD looks for them.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pysd
from pysd.py_backend.lookups import HardcodedLookups

from .paths import cache_dir


def model_digest(mdl_file: Path) -> str:
    """Hash of the model text and the PySD version: the key of the translation cache."""
    digest = hashlib.sha256(Path(mdl_file).read_bytes())
    digest.update(pysd.__version__.encode())
    return digest.hexdigest()


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
    target = cache_dir() / f"{mdl_file.stem}-{model_digest(mdl_file)[:20]}"
    py_file = target / f"{mdl_file.stem}.py"
    if py_file.is_file():
        _link_data_files(mdl_file, target)
        return py_file
    target.parent.mkdir(parents=True, exist_ok=True)
    # Translate in a private folder, then rename: concurrent processes never see half a file.
    work = Path(tempfile.mkdtemp(dir=target.parent, prefix=".translating-"))
    try:
        shutil.copyfile(mdl_file, work / mdl_file.name)
        _link_data_files(mdl_file, work)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pysd.read_vensim(str(work / mdl_file.name), initialize=False)
        try:
            work.rename(target)
        except OSError:  # another process finished first; its translation is identical
            pass
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return py_file


def _link_data_files(mdl_file: Path, folder: Path) -> None:
    """Link the files beside a model that reads data (GET XLS, GET DIRECT) into its translation's
    folder, where PySD looks for them."""
    if "GET " not in mdl_file.read_text(encoding="utf-8", errors="replace").upper():
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
