"""Results bundled with the repository belong to the model as it is."""

from __future__ import annotations

import json

import pandas as pd

import sd_model
from sensitivity.bundle import BUNDLE, BUNDLED_DIR
from sensitivity.problem import table_hash

FIX = "regenerate them with `python -m sensitivity bundle`"


def test_bundled_sensitivity_results_match_the_model():
    for method, n in BUNDLE.items():
        manifest = json.loads((BUNDLED_DIR / method / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["method"] == method and manifest["n"] == n
        assert manifest["model_sha256"] == sd_model.default_model().digest, f"{method}: made for another model; {FIX}"
        assert manifest["parameter_table_sha256"] == table_hash(), f"{method}: made for another parameter table; {FIX}"
        indices = pd.read_csv(BUNDLED_DIR / method / "indices.csv")
        assert set(indices["output"]) == set(sd_model.KPIS)
        assert set(indices["parameter"]) >= {p.name for p in sd_model.parameters()}
