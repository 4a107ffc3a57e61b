"""`make lab` (and Binder) open JupyterLab without its news prompt over the first notebook.

A first JupyterLab start asks "Would you like to get notified about official Jupyter news?"
in a box over the notebook. ``binder/overrides.json`` answers "never" for the learner; the
Makefile's ``lab`` target and Binder's ``postBuild`` copy it where JupyterLab reads overrides.
JupyterLab's own settings loader (jupyterlab_server) reads it here, as the server would.
"""
import json
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OVERRIDES = ROOT / "binder" / "overrides.json"
PLUGIN = "@jupyterlab/apputils-extension:notification"

jupyterlab = pytest.importorskip("jupyterlab.commands", reason="JupyterLab is not installed")
settings_utils = pytest.importorskip("jupyterlab_server.settings_utils")


def notification_defaults(app_settings_dir, tmp_path):
    schemas = os.path.join(jupyterlab.get_app_dir(), "schemas")
    settings, _ = settings_utils.get_settings(str(app_settings_dir), schemas, str(tmp_path / "user"),
                                             PLUGIN, labextensions_path=[])
    props = settings["schema"]["properties"]
    return props["fetchNews"]["default"], props["checkForUpdates"]["default"]


def test_jupyterlab_asks_without_the_overrides(tmp_path):
    assert notification_defaults(tmp_path / "none", tmp_path)[0] == "none"


def test_the_overrides_turn_the_news_prompt_off(tmp_path):
    assert set(json.loads(OVERRIDES.read_text())) == {PLUGIN}
    (tmp_path / "settings").mkdir()
    shutil.copy(OVERRIDES, tmp_path / "settings" / "overrides.json")
    assert notification_defaults(tmp_path / "settings", tmp_path) == ("false", False)


def test_make_lab_and_binder_install_the_overrides():
    makefile = (ROOT / "Makefile").read_text()
    lab = makefile.split("\nlab:", 1)[1].split("\n\n", 1)[0]
    assert "cp binder/overrides.json $(LAB_SETTINGS)/overrides.json" in lab
    assert "LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings" in makefile
    assert "binder/overrides.json" in (ROOT / "binder" / "postBuild").read_text()
