"""Shared fixtures. Models copied into tmp_path are translated into a private cache."""

from __future__ import annotations

import shutil

import pytest

import sd_model
from sd_model.paths import METADATA_FILE, MODEL_FILE


@pytest.fixture(autouse=True)
def own_sensitivity_results(tmp_path_factory, monkeypatch):
    """The explorer never reads the developer's own sensitivity_results/ in a test."""
    monkeypatch.setenv("SENSITIVITY_RESULTS", str(tmp_path_factory.mktemp("no_sensitivity_results")))


@pytest.fixture(scope="session")
def model() -> sd_model.Model:
    """The default model (translated once per process)."""
    return sd_model.default_model()


@pytest.fixture
def model_copy(tmp_path, monkeypatch):
    """A copy of the .mdl in tmp_path and a cache there; returns the copy's path."""
    monkeypatch.setenv("SD_MODEL_CACHE", str(tmp_path / "cache"))
    target = tmp_path / "relocation.mdl"
    shutil.copyfile(MODEL_FILE, target)
    return target


def edit_constant(mdl_file, vensim_name: str, value: str) -> None:
    """Set a constant's value in a .mdl file (the line after ``name=``)."""
    lines = mdl_file.read_text(encoding="utf-8").split("\n")
    index = lines.index(f"{vensim_name}=")
    lines[index + 1] = f"\t{value}"
    mdl_file.write_text("\n".join(lines), encoding="utf-8")


__all__ = ["METADATA_FILE", "MODEL_FILE", "edit_constant"]


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium (Debian's, found or installed by ``python -m tests.browser``) driven by Playwright."""
    from playwright.sync_api import sync_playwright

    from .browser import CHROMIUM_FLAGS, HOW_TO, find_chromium

    chromium = find_chromium()
    assert chromium is not None, HOW_TO  # `make test` installs one first (python -m tests.browser)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()
