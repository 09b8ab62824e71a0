"""Open the page `dvc plots show` wrote in headless Chromium, offline, and say what it drew.

`python -m ecgcnn.browser dvc_plots/index.html shot.png` prints each interactive plot with
what it rendered and writes a screenshot; the browser test asserts on the same report.
"""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from .io import EcgError

# Every host name fails to resolve: a page that needs the network shows it here.
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", OFFLINE,
         "--virtual-time-budget=30000")  # let the scripts and vegaEmbed's promises finish
PLOT_ID = re.compile(r"vegaEmbed\('#([^']+)'")
SPEC = re.compile(r"var spec = (.*?);\s*vegaEmbed\('#([^']+)'", re.S)  # dvc_render's DIV
DRAWN = re.compile(r'<canvas|<svg[^>]*class="marks"')
ERRORS = re.compile(r'<pre id="plot-errors"[^>]*>(.*?)</pre>', re.S)
CONSOLE = re.compile(r"CONSOLE[^\]]*\] (.*)")


def chromium():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise EcgError("chromium not found: apt-get install chromium (.ci/run does)")
    return path


def run_chromium(url, *flags, timeout=120):
    result = subprocess.run([chromium(), *FLAGS, *flags, url], capture_output=True,
                            text=True, timeout=timeout)
    if result.returncode != 0:
        raise EcgError(f"chromium failed on {url}:\n{result.stderr[-2000:]}")
    return result


def drawn_per_plot(html, dom):
    """{plot id: True if its div holds a canvas or a vega svg}, in page order."""
    ids = PLOT_ID.findall(html)
    starts = [dom.find(f'id="{i}"') for i in ids]
    if -1 in starts:
        raise EcgError(f"plot divs missing from the rendered page: {ids}")
    ends = starts[1:] + [len(dom)]
    return {i: bool(DRAWN.search(dom[s:e])) for i, s, e in zip(ids, starts, ends, strict=True)}


def data_rows(html):
    """{plot id: number of data rows in its vega-lite spec}, in page order."""
    return {i: len(json.loads(spec).get("data", {}).get("values", []))
            for spec, i in SPEC.findall(html)}


def inspect(page, screenshot=None, width=1400, height=2400):
    """What the browser made of `page`: plots drawn, their data rows, page errors (script
    errors, console errors, failed vegaEmbed calls) and console messages."""
    page = Path(page).resolve()
    url = page.as_uri()
    result = run_chromium(url, "--enable-logging=stderr", "--v=0", "--dump-dom")
    if screenshot:
        run_chromium(url, f"--screenshot={Path(screenshot).resolve()}",
                     f"--window-size={width},{height}")
    dom = result.stdout
    errors = ERRORS.search(dom)
    html = page.read_text(encoding="utf8")
    return {"drawn": drawn_per_plot(html, dom), "rows": data_rows(html),
            "errors": errors.group(1).strip() if errors else "no error box in the page",
            "console": CONSOLE.findall(result.stderr)}


def main(argv):
    report = inspect(*argv[:2])
    for plot, drawn in report["drawn"].items():
        print(f"{'drawn' if drawn else 'BLANK'}  {report['rows'].get(plot, 0):5d} rows  {plot}")
    for line in report["console"]:
        print(f"console: {line}")
    print(f"page errors: {report['errors'] or 'none'}")
    return 0 if all(report["drawn"].values()) and not report["errors"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
