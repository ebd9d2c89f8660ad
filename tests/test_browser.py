"""The study report in a real headless browser: it loads, images display, no console errors.

Drives Debian's Chromium through Selenium and ChromeDriver (packages ``chromium`` and
``chromium-driver``; ``.ci/run`` installs them). The pages are served over HTTP on localhost
from a temporary folder. Tests skip with the install command when Chromium is absent.

The first tests check the harness itself on a small hand-written page (a good page passes; a
broken image, a ``console.error`` and an uncaught exception are each caught), so a passing
report test means the checks had teeth.
"""

from __future__ import annotations

import functools
import re
import shutil
import struct
import threading
import zlib
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
DRIVER_NAMES = ("chromedriver",)
# --headless with the flags Chromium needs on a closed network (no background connections)
CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1280,1024")
INSTALL_HINT = ("install Debian's Chromium and ChromeDriver: "
                "`apt-get install chromium chromium-driver` (.ci/run does this in CI)")

# the sections the demo report must show (each matched case-insensitively within a heading)
REPORT_SECTIONS = ("Adoption", "Summary statistics", "Main results", "Event study",
                   "Estimates against the truth", "Staggered-robust comparison", "Bacon",
                   "Mechanism", "Robustness", "Heterogeneity", "Versions")


def _which(names: tuple[str, ...]) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


# ------------------------------------------------------------------ the harness


@dataclass(frozen=True)
class PageCheck:
    """What the browser saw on one page."""

    title: str
    images: list[dict]  # src, complete, naturalWidth, naturalHeight
    errors: list[str]  # SEVERE browser-log entries: console.error, exceptions, failed loads
    headings: list[str]  # text of h1-h3, in document order

    @property
    def broken_images(self) -> list[str]:
        return [i["src"] for i in self.images if not (i["complete"] and i["naturalWidth"] > 0)]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


class Server:
    """Serve ``directory`` on an ephemeral localhost port in a daemon thread."""

    def __init__(self, directory: Path):
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


_JS_PAGE = """
return {
  images: Array.from(document.images).map(function (e) {
    return {src: e.getAttribute('src'), complete: e.complete,
            naturalWidth: e.naturalWidth, naturalHeight: e.naturalHeight};
  }),
  headings: Array.from(document.querySelectorAll('h1, h2, h3')).map(function (h) {
    return h.textContent.trim();
  }),
  ready: document.readyState
};
"""


def check_page(driver, url: str) -> PageCheck:
    """Load ``url``, wait for every image, and collect what the checks need."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get_log("browser")  # drop entries left by an earlier page
    driver.get(url)  # returns after the load event (images included)
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script(
            "return document.readyState === 'complete' && "
            "Array.from(document.images).every(function (e) { return e.complete; });"))
    seen = driver.execute_script(_JS_PAGE)
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"
              and not e["message"].split(" ", 1)[0].endswith("/favicon.ico")]
    return PageCheck(title=driver.title, images=seen["images"], errors=errors,
                     headings=seen["headings"])


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="selenium is not installed: pip install '.[test]'")
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = _which(CHROMIUM_NAMES), _which(DRIVER_NAMES)
    if chromium is None or chromedriver is None:
        missing = " and ".join(n for n, p in (("chromium", chromium),
                                              ("chromedriver", chromedriver)) if p is None)
        pytest.skip(f"{missing} not found on PATH; {INSTALL_HINT}")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(chromedriver), options=options)
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()


# ------------------------------------------------------------- a tiny page


def _png(width: int, height: int) -> bytes:
    """A solid red RGB PNG, written by hand (no imaging library needed)."""
    row = b"\x00" + b"\xff\x00\x00" * width
    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


def _tiny_site(root: Path, body_extra: str = "") -> Path:
    (root / "figures").mkdir(parents=True)
    (root / "figures" / "dot.png").write_bytes(_png(7, 5))
    (root / "report.html").write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Tiny report</title></head><body><h1>Tiny report</h1>"
        "<h2>Adoption</h2><img src='figures/dot.png' alt='dot'>"
        f"<h2>Estimates against the truth</h2><p>&lt;script&gt;</p>{body_extra}</body></html>",
        encoding="utf-8")
    return root


def test_harness_passes_a_good_page(driver, tmp_path):
    site = _tiny_site(tmp_path)
    with Server(site) as base:
        page = check_page(driver, f"{base}/report.html")
    assert page.title == "Tiny report"
    assert page.images == [{"src": "figures/dot.png", "complete": True,
                            "naturalWidth": 7, "naturalHeight": 5}]
    assert page.broken_images == []
    assert page.errors == []
    assert page.headings == ["Tiny report", "Adoption", "Estimates against the truth"]


@pytest.mark.parametrize("extra, expected", [
    ("<img src='figures/missing.png' alt='x'>", "missing.png"),
    ("<script>console.error('boom-from-console');</script>", "boom-from-console"),
    ("<script>null.property;</script>", "Uncaught TypeError"),
], ids=["broken-image", "console-error", "uncaught-exception"])
def test_harness_catches_failures(driver, tmp_path, extra, expected):
    site = _tiny_site(tmp_path, extra)
    with Server(site) as base:
        page = check_page(driver, f"{base}/report.html")
    assert len(page.errors) == 1 and expected in page.errors[0], page.errors
    if "img" in extra:
        assert page.broken_images == ["figures/missing.png"]


# ------------------------------------------------------------- the real report


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    from did_zones.demo import run_demo

    out = tmp_path_factory.mktemp("demo") / "out"
    run_demo(out, seed=0)
    return out


def _plain(heading: str) -> str:
    """A heading without Markdown emphasis/code marks and backslash escapes, whitespace
    collapsed."""
    # one pass: an escaped character stays (as itself), a bare * or ` is a mark and goes
    plain = re.sub(r"\\([!-/:-@\[-`{-~])|[`*]", lambda m: m.group(1) or "", heading)
    return " ".join(plain.split())


def _markdown_headings(text: str) -> list[str]:
    return [_plain(m.group(2)) for m in re.finditer(r"^(#{1,3})\s+(.+)$", text, re.M)]


@pytest.mark.slow
def test_demo_report_in_browser(driver, demo_dir):
    html = demo_dir / "report.html"
    assert html.exists(), f"run_demo wrote no report.html: {sorted(demo_dir.iterdir())}"
    with Server(demo_dir) as base:
        page = check_page(driver, f"{base}/report.html")
    assert page.title.strip(), "report.html has an empty <title>"
    assert page.errors == [], "browser console errors:\n" + "\n".join(page.errors)
    figures = sorted(p.relative_to(demo_dir).as_posix() for p in
                     (demo_dir / "figures").glob("*.png"))
    assert figures, "the demo wrote no figures/*.png"
    shown = {i["src"].removeprefix("./") for i in page.images}
    assert page.images and page.broken_images == [], f"broken images: {page.broken_images}"
    assert set(figures) <= set(shown), f"figures not shown: {set(figures) - set(shown)}"
    lowered = [h.lower() for h in page.headings]
    for section in REPORT_SECTIONS:
        assert any(section.lower() in h for h in lowered), (
            f"section {section!r} missing; headings: {page.headings}")
    md = demo_dir / "report.md"
    if md.exists():  # the Markdown and HTML reports carry the same sections
        shown_headings = {_plain(h) for h in page.headings}
        missing = [h for h in _markdown_headings(md.read_text(encoding="utf-8"))
                   if h not in shown_headings]
        assert missing == [], f"headings of report.md absent from report.html: {missing}"


_JS_FLAGS = """
var box = document.getElementById('flags');
if (!box) { return null; }
return {
  visible: box.offsetHeight > 0,
  links: Array.from(box.querySelectorAll('a')).map(function (a) {
    var id = a.getAttribute('href').slice(1), target = document.getElementById(id);
    return {id: id, text: a.textContent.trim(),
            target: target ? target.textContent.trim() : null,
            shown: target ? target.offsetHeight > 0 : false};
  }),
  before_first_section: box.compareDocumentPosition(document.querySelector('section:not(#flags)'))
                        === Node.DOCUMENT_POSITION_FOLLOWING
};
"""


@pytest.mark.slow
def test_demo_flags_summary_renders(driver, demo_dir):
    with Server(demo_dir) as base:
        page = check_page(driver, f"{base}/report.html")
        flags = driver.execute_script(_JS_FLAGS)
    assert page.broken_images == [] and all(i["naturalWidth"] > 0 for i in page.images)
    assert flags is not None, "report.html has no Flags summary (section#flags)"
    assert flags["visible"] and flags["before_first_section"]
    texts = [f["text"] for f in flags["links"]]
    assert any("cohort 2015" in t and "杭州" in t for t in texts), texts
    for link in flags["links"]:  # every entry leads to the same sentence in its section
        assert link["shown"] and link["target"] == link["text"], link
