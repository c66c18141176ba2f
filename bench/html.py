#!/usr/bin/env python3
"""Size of the HTML report and how long headless Chromium takes to load and filter it.

    bench/html.py [PAGE.html]    # default: scan the real-world corpus with the release binary

The page gets a small script appended that, on `load`, forces layout and reads
`performance.now()` (milliseconds since navigation started: parse, style, layout, our script),
then runs a text search, a severity filter and a namespace filter through the page's own filter
(`window.palisadeApply`) and records each duration in a `data-timing` attribute, which
`--dump-dom` hands back. The Chromium process's wall time (browser start included) is printed
too. Needs Debian's `chromium`.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HARNESS = """<script>
window.addEventListener('load', function () {
  document.body.offsetHeight;
  var t0 = performance.now();
  var f = document.getElementById('filters');
  f.elements.namedItem('q').value = 'privileged';
  window.palisadeApply(); document.body.offsetHeight;
  var t1 = performance.now();
  var search = document.getElementById('shown').textContent;
  f.elements.namedItem('q').value = '';
  document.querySelector('input[name=sev][value=low]').checked = false;
  document.querySelector('input[name=sev][value=medium]').checked = false;
  window.palisadeApply(); document.body.offsetHeight;
  var t2 = performance.now();
  var severity = document.getElementById('shown').textContent;
  f.elements.namedItem('namespace').selectedIndex = 1;
  window.palisadeApply(); document.body.offsetHeight;
  var t3 = performance.now();
  document.body.setAttribute('data-timing', JSON.stringify({loaded_ms: t0, search_ms: t1 - t0,
    search: search, severity_ms: t2 - t1, severity: severity, namespace_ms: t3 - t2,
    total_ms: t3}));
});
</script></body>"""


def main():
    work = tempfile.mkdtemp(prefix="palisade-html-")
    if len(sys.argv) > 1:
        page = sys.argv[1]
    else:
        binary = os.path.join(ROOT, "target/x86_64-unknown-linux-gnu/release/palisade")
        page = os.path.join(work, "corpus.html")
        with open(page, "wb") as out:
            subprocess.run([binary, "scan", "--no-config", "--format", "html",
                            "/work/shared/corpus/real-world"], stdout=out, check=False)
    size = os.path.getsize(page)
    print(f"{page}: {size / 1e6:.2f} MB")
    html = open(page, encoding="utf-8").read()
    timed = os.path.join(work, "timed.html")
    with open(timed, "w", encoding="utf-8") as out:
        out.write(html.replace("</body>", HARNESS, 1))
    for run in range(3):
        start = time.time()
        done = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                               f"--user-data-dir={work}/profile", "--dump-dom",
                               "file://" + timed], capture_output=True, text=True, timeout=120)
        wall = time.time() - start
        m = re.search(r'data-timing="([^"]*)"', done.stdout)
        timing = json.loads(m.group(1).replace("&quot;", '"')) if m else None
        print(f"run {run}: chromium wall {wall:.2f} s (browser start included); in page: {timing}")


if __name__ == "__main__":
    main()
