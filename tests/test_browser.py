"""`dvc plots show` and `dvc plots diff` of the committed plots, opened in headless Chromium
with every host name unresolvable: each interactive plot must draw (an svg or canvas).

The screenshots go to build/browser/ (ignored by git), for a person to look at."""

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import assert_every_plot_rendered

REPO = Path(__file__).resolve().parents[1]
SHOTS = REPO / "build" / "browser"
DVC = str(Path(sys.executable).parent / "dvc")


def dvc_plots(*args, out):
    result = subprocess.run([DVC, "plots", *args, "-o", str(out)], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return out / "index.html"


@pytest.mark.parametrize("command", [["show"], ["diff", "HEAD"]], ids=["show", "diff"])
def test_plots_page_renders_every_plot_offline(command, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = dvc_plots(*command, out=tmp_path)
    assert_every_plot_rendered(REPO, page, SHOTS / f"plots_{command[0]}.png")
