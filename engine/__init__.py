"""The engine: a Vensim model translated by PySD, and the vectorised Euler loop generated from it.

- :mod:`.translation`: the ``.mdl`` translated once by PySD, cached by hash and checked before import;
- :mod:`.codegen`: the loop's source generated from PySD's translation, construct by construct;
- :mod:`.arrays`: subscripts (Vensim arrays) as one more dimension of the loop;
- :mod:`.runner`: :class:`Engine`, which lets PySD set the initial state and runs the generated loop
  on arrays of runs.

Nothing outside this package touches PySD's objects; the model layer (:mod:`sd_model.model`) reads
the engine through :class:`Engine` and the translation's file.
"""

from .runner import Engine
from .translation import ModelFileError, load_pysd, model_digest, translated_file

__all__ = ["Engine", "ModelFileError", "load_pysd", "model_digest", "translated_file"]
