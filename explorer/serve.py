"""``python -m explorer.serve [--mdl PATH [--metadata PATH]] [streamlit options]``: the explorer, warm
before its first visitor.

``--mdl`` shows another Vensim model than the project's (its metadata: ``--metadata``, else the
``model.toml`` beside it, else none); the model is loaded and checked before the warm-up and passed
to the explorer's script in the environment (``SD_MODEL_MDL``, ``SD_MODEL_METADATA``), so that
``SD_MODEL_MDL=PATH streamlit run app.py`` shows it too. A model that cannot be loaded is one line
on stderr and exit status 2.

``streamlit run app.py`` executes the script only when a browser connects, so the first visitor
waits for everything a fresh process does once: importing PySD, xarray, SciPy and Altair, loading the
model, compiling its engine, building and validating the chart templates (about 3 s here). This
launcher runs the explorer's script once in this process first (with Streamlit's ``AppTest``, the
same script a visitor gets), so that all of it is done, then starts the Streamlit server in the same
process: the first visitor's run finds the modules, the model and the chart templates ready.
"""

from __future__ import annotations

import os
import sys
import time

_BEGAN = time.perf_counter()  # (this module is the first one ``python -m explorer.serve`` runs)

from sd_model.paths import ROOT  # noqa: E402

APP = ROOT / "app.py"
#: The options of this command (the rest are Streamlit's), and the environment variable each sets.
MODEL_OPTIONS = {"--mdl": "SD_MODEL_MDL", "--metadata": "SD_MODEL_METADATA"}


class UsageError(ValueError):
    """A bad ``--mdl`` or ``--metadata``; the message is one line."""


def model_options(argv: list[str]) -> tuple[dict[str, str], list[str]]:
    """Split ``--mdl PATH`` and ``--metadata PATH`` (or ``=PATH``) from the Streamlit options.

    Returns
    -------
    env : dict
        Environment variable to value (:data:`MODEL_OPTIONS`).
    rest : list of str
        The other arguments, for ``streamlit run``.
    """
    env, rest, words = {}, [], iter(argv)
    for word in words:
        name, equals, value = word.partition("=")
        if name not in MODEL_OPTIONS:
            rest.append(word)
            continue
        value = value if equals else next(words, "")
        if not value or value.startswith("--"):
            raise UsageError(f"{name} needs a path")
        env[MODEL_OPTIONS[name]] = value
    if "SD_MODEL_METADATA" in env and "SD_MODEL_MDL" not in env:
        raise UsageError("--metadata needs --mdl (the project's model has its own metadata)")
    return env, rest


def choose_model(argv: list[str]) -> list[str]:
    """Load and check the model of ``--mdl``/``--metadata`` (or of the environment), and set the
    environment the explorer's script reads; return the Streamlit options.

    Raises
    ------
    UsageError
        For an option without its path, a missing file, or a model that does not load (one line).
    """
    env, rest = model_options(argv)
    from explorer import choice

    try:
        files = choice.model_files(os.environ | env)
        choice.load_chosen(files)
    except choice.ModelChoiceError as err:
        raise UsageError(str(err)) from None
    for variable, value in zip((choice.MDL_ENV, choice.METADATA_ENV), files, strict=True):
        if value is None:
            os.environ.pop(variable, None)
        else:
            os.environ[variable] = value
    return rest


def warm(languages=("en", "zh")) -> float:
    """Run the explorer's script once per language in this process; return the seconds it took."""
    from streamlit.testing.v1 import AppTest

    start = time.perf_counter()
    for language in languages:
        at = AppTest.from_file(str(APP), default_timeout=300)
        at.query_params["lang"] = language
        at.run()
        if at.exception:
            raise RuntimeError(f"the explorer failed while warming up: {at.exception[0].message}")
    return time.perf_counter() - start


def config_flags(argv: list[str]) -> dict[str, object]:
    """The ``--section.option value`` (or ``=value``) pairs of ``argv``, typed as ``streamlit run``
    types them (``--server.port 8599`` is the integer 8599); a value that does not convert is left as
    text, for Streamlit's own command line to refuse."""
    from streamlit import config

    flags, words = {}, iter(argv)
    for word in words:
        if word.startswith("--") and "." in word:
            name, equals, value = word[2:].partition("=")
            value = value if equals else next(words, "")
            kind = getattr(config._config_options_template.get(name), "type", str)
            try:
                flags[name] = value.lower() in ("true", "1", "yes") if kind is bool else kind(value)
            except (TypeError, ValueError):
                flags[name] = value
    return flags


def main(argv=None) -> int:
    """Warm up, then hand over to ``streamlit run app.py`` with the given options."""
    import logging

    from streamlit import config

    argv = sys.argv[1:] if argv is None else list(argv)
    start = time.perf_counter()
    try:
        argv = choose_model(argv)
        from explorer.turns import TURNS_PROBLEM

        if TURNS_PROBLEM:
            raise UsageError(TURNS_PROBLEM)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    # Read the configuration with the server's own options before warming up, so that starting the
    # server afterwards changes nothing (Streamlit warns of a [server] change otherwise); the warm-up
    # runs outside a server, which Streamlit's script-context logger would report on every call.
    config.get_config_options(force_reparse=True, options_from_flags=config_flags(argv))
    context_logger = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    level = context_logger.level
    context_logger.setLevel(logging.ERROR)
    try:
        loaded, imported = time.perf_counter() - start, start - _BEGAN
        print(f"imports {imported:.1f} s; model loaded in {loaded:.1f} s; explorer warmed up in {warm():.1f} s; "
              f"{time.perf_counter() - _BEGAN:.1f} s since start", file=sys.stderr)  # fmt: skip
    finally:
        context_logger.setLevel(level)
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(APP), *argv]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
