"""The page `dvc plots show` writes, with vega, vega-lite and vega-embed inlined.

DVC's default page loads them from a CDN, so offline every interactive plot is blank.
`python -m ecgcnn.html_template` downloads the pinned npm tarballs, checks their SHA-256 and
that of the file taken from each, and writes HTML_TEMPLATE (committed; `.dvc/config` points
`dvc plots show` and `dvc plots diff` to it). Nothing in the minified files is edited.
"""

import argparse
import hashlib
import io
import re
import tarfile
import urllib.request
from pathlib import Path

from .io import EcgError

HTML_TEMPLATE = Path(".dvc/plots_offline.html")  # from the repository root, like the stages
REGISTRY = "https://registry.npmjs.org"
# (package, version, file in the tarball, SHA-256 of the tarball, SHA-256 of the file),
# in load order: vega-lite and vega-embed need vega. The last major versions that ship a
# browser (UMD) build, the ones DVC's own page asks for.
PACKAGES = (
    ("vega", "5.33.1", "package/build/vega.min.js",
     "1b8504b6731c5311be3269c4d84ca996a5cc293bc772283293ede20c490e16c3",
     "463f3db6a40b20e9747b4ed38f37ed0add508838f9141b1cf8366784b07b30c8"),
    ("vega-lite", "5.23.0", "package/build/vega-lite.min.js",
     "e4cbfdd8f6f1abe381c59cd558fd6a559c12b1496bfdf2e0c3295263a40fe4da",
     "58c27358e26f2d319cf62f45bc17a4c8362f08645001df2ec8d341eee4097c7f"),
    ("vega-embed", "6.29.0", "package/build/vega-embed.min.js",
     "ecf1ee709c2bac9e0a4ead6908114b05b62c71493e10a8a4308109bb070f8eb1",
     "12d02acfbe3ec59ef9a37dd4822a2e04e2961b5bbb671bbe661d2221715b99da"),
)
# DVC fills these by plain text replacement (dvc_render.html.HTML.embed). `{scripts}` is left
# out on purpose: DVC would put its CDN <script> tags there.
PLACEHOLDERS = ("{plot_divs}", "{refresh_tag}", "{scripts}")
SCRIPT = re.compile(r'<script data-package="([^"]+)">\n(.*?)\n</script>', re.S)

# Any script error, console error or failed vegaEmbed is shown at the top of the page (and so
# in the DOM the browser test reads), not only in the console.
PAGE = """<!DOCTYPE html>
<html>
<head>
    {refresh_tag}
    <meta charset="utf-8">
    <title>ecgcnn plots</title>
<script>
window.plotErrors = [];
function showPlotError(message) {
    window.plotErrors.push(String(message));
    var box = document.getElementById("plot-errors");
    if (box) { box.textContent = window.plotErrors.join("\\n"); box.hidden = false; }
}
window.addEventListener("error", function (e) { showPlotError(e.message); });
window.addEventListener("unhandledrejection", function (e) { showPlotError(e.reason); });
(function (log) {
    console.error = function () {
        showPlotError([].join.call(arguments, " "));
        log.apply(console, arguments);
    };
})(console.error);
</script>
%SCRIPTS%
    <style>
        table { border-spacing: 15px; }
        #plot-errors { color: #b00; white-space: pre-wrap; }
    </style>
</head>
<body>
    <pre id="plot-errors" hidden></pre>
    {plot_divs}
</body>
</html>
"""


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def check(data, expected, what):
    if sha256(data) != expected:
        raise EcgError(f"{what}: SHA-256 {sha256(data)}, expected {expected}")


def fetch_script(name, version, member, tar_sum, file_sum):
    """The checked minified file of one pinned npm package."""
    url = f"{REGISTRY}/{name}/-/{name}-{version}.tgz"
    with urllib.request.urlopen(url, timeout=60) as response:
        tarball = response.read()
    check(tarball, tar_sum, url)
    with tarfile.open(fileobj=io.BytesIO(tarball)) as tar:
        data = tar.extractfile(member).read()
    check(data, file_sum, f"{url}:{member}")
    return data.decode("utf8")


def page(scripts):
    """The template from {"name@version": source}; the sources must survive DVC's filling."""
    blocks = []
    for label, source in scripts.items():
        bad = [p for p in ("</script", *PLACEHOLDERS) if p in source]
        if bad:
            raise EcgError(f"{label} contains {bad}: it cannot be inlined as it is")
        blocks.append(f'<script data-package="{label}">\n{source}\n</script>')
    return PAGE.replace("%SCRIPTS%", "\n".join(blocks))


def inlined_scripts(html):
    """{"name@version": source} of the scripts a template inlines."""
    return dict(SCRIPT.findall(html))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=HTML_TEMPLATE)
    args = parser.parse_args(argv)
    scripts = {f"{p[0]}@{p[1]}": fetch_script(*p) for p in PACKAGES}
    args.output.write_text(page(scripts), encoding="utf8")
    print(f"wrote {args.output} ({args.output.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
