"""``python -m explorer.serve [streamlit options]``: the explorer, warm before its first visitor.

``streamlit run app.py`` executes the script only when a browser connects, so the first visitor
waits for everything a fresh process does once: importing PySD, xarray, SciPy and Altair, loading the
model, compiling its engine, building and validating the chart templates (about 3 s here). This
launcher runs the explorer's script once in this process first (with Streamlit's ``AppTest``, the
same script a visitor gets), so that all of it is done, then starts the Streamlit server in the same
process: the first visitor's run finds the modules, the model and the chart templates ready.
"""

from __future__ import annotations

import sys
import time

from sd_model.paths import ROOT

APP = ROOT / "app.py"


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


def main(argv=None) -> int:
    """Warm up, then hand over to ``streamlit run app.py`` with the given options."""
    argv = sys.argv[1:] if argv is None else list(argv)
    print(f"explorer warmed up in {warm():.1f} s", file=sys.stderr)
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(APP), *argv]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
