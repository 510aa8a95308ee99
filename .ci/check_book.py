"""Open every page of the built book in headless Chromium, as a reader would, served over HTTP on
the loopback interface: each page must load without a console error, every image it shows must have
loaded (a file of the book, non-empty), and every link to another page of the book must reach a
page that exists. Saves a screenshot of the landing page beside the site. Run by `nox -s docs`.

Uses Debian's chromium and chromium-driver (`apt-get install chromium chromium-driver`) through
Selenium, never a browser downloaded at run time; the browser is started offline and with a fresh
profile.

    python .ci/check_book.py docs/_build/html --screenshot docs/_build/landing.png
"""

from __future__ import annotations

import argparse
import functools
import http.server
import sys
import tempfile
import threading
from pathlib import Path
from urllib.parse import unquote, urlparse

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,1600")  # fmt: skip
IMAGES = "return Array.from(document.images).map(i => [i.currentSrc || i.src, i.complete, i.naturalWidth]);"
LINKS = "return Array.from(document.querySelectorAll('a[href]')).map(a => a.href);"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # one line per request would drown the report
        pass


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """``folder`` over HTTP on 127.0.0.1, on a free port, in a daemon thread."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def browser(profile_dir: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile_dir}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    return driver


def _local_file(url: str, base: str, site: Path) -> Path | None:
    """The file of the site that ``url`` names, or None when it points elsewhere."""
    if not url.startswith(base):
        return None
    path = unquote(urlparse(url).path).lstrip("/")
    target = site / path
    return target / "index.html" if target.is_dir() else target


def check_page(driver, base: str, site: Path, page: Path) -> list[str]:
    """What is wrong with ``page`` as the browser shows it."""
    name = page.relative_to(site).as_posix()
    driver.get(base + name)
    problems = []
    for entry in driver.get_log("browser"):
        if entry.get("level") == "SEVERE":
            problems.append(f"{name}: console error: {entry.get('message')}")
    for src, complete, width in driver.execute_script(IMAGES):
        local = _local_file(src, base, site)
        if not src.startswith("data:") and local is None:
            problems.append(f"{name}: image {src} is not a file of the book")
        elif local is not None and (not local.is_file() or local.stat().st_size == 0):
            problems.append(f"{name}: image {src} is missing or empty")
        elif not complete or not width:
            problems.append(f"{name}: image {src[:80]} did not load")
    for href in driver.execute_script(LINKS):
        local = _local_file(href.split("#", 1)[0], base, site)
        if local is not None and not local.is_file():
            problems.append(f"{name}: link {href} leads to no page")
    return list(dict.fromkeys(problems))  # a link repeated in the navigation: once


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="the built HTML folder")
    parser.add_argument("--screenshot", type=Path, required=True, help="PNG of the landing page")
    args = parser.parse_args(argv)
    site = args.site.resolve()
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).is_file()]
    if missing:
        print(f"check_book: {', '.join(missing)} not found; apt-get install chromium chromium-driver", file=sys.stderr)
        return 2
    pages = sorted(p for p in site.rglob("*.html") if "_static" not in p.parts)
    if not (site / "index.html").is_file():
        print(f"check_book: {site}: no index.html; build the book first", file=sys.stderr)
        return 2
    server, base = serve(site)
    problems: list[str] = []
    images = 0
    with tempfile.TemporaryDirectory(prefix="sf2t-chromium-") as profile_dir:
        driver = browser(profile_dir)
        try:
            for page in pages:
                problems += check_page(driver, base, site, page)
                images += len(driver.execute_script(IMAGES))
            driver.get(base + "index.html")
            args.screenshot.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(args.screenshot))
        finally:
            driver.quit()
            server.shutdown()
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(pages)} pages opened in Chromium, {images} images shown; {len(problems)} problems; "
          f"landing page: {args.screenshot}")  # fmt: skip
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
