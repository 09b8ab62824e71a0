"""The committed offline page template: exactly what ecgcnn.html_template builds, from the
pinned packages, and the one `dvc plots show` uses."""

import configparser
import hashlib
import io
import re
import urllib.request
from pathlib import Path

import pytest

from ecgcnn.html_template import HTML_TEMPLATE, PACKAGES, fetch_script, inlined_scripts, page
from ecgcnn.io import EcgError

REPO = Path(__file__).resolve().parents[1]


def committed():
    return (REPO / HTML_TEMPLATE).read_text(encoding="utf8")


def test_template_inlines_the_pinned_files_and_nothing_else():
    scripts = inlined_scripts(committed())
    assert list(scripts) == [f"{name}@{version}" for name, version, *_ in PACKAGES]
    for (_, _, _, _, file_sum), source in zip(PACKAGES, scripts.values(), strict=True):
        assert hashlib.sha256(source.encode("utf8")).hexdigest() == file_sum
    assert committed() == page(scripts)  # as the build script writes it, byte for byte


def test_template_loads_nothing_from_the_network():
    assert not re.search(r"<script[^>]*\ssrc=", committed())
    assert "{scripts}" not in committed()  # where dvc would put its CDN <script> tags
    assert "{plot_divs}" in committed()


def test_dvc_config_points_plots_to_the_template():
    config = configparser.ConfigParser()
    config.read(REPO / ".dvc" / "config")
    assert (REPO / ".dvc" / config["plots"]["html_template"]).resolve() == \
        (REPO / HTML_TEMPLATE).resolve()


@pytest.mark.parametrize("source", ["a('</script>')", "x = '{plot_divs}'"])
def test_a_source_that_dvc_or_the_page_would_break_is_refused(source):
    with pytest.raises(EcgError, match="cannot be inlined"):
        page({"bad@1": source})


def test_a_download_that_does_not_match_its_pin_is_an_error(monkeypatch):
    class Response(io.BytesIO):
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: Response(b"tampered"))
    with pytest.raises(EcgError, match="SHA-256"):
        fetch_script(*PACKAGES[0])
