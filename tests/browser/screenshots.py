"""`make screenshots`: the main pages of both apps at 1280 and 390 px, in English and Chinese, as PNGs.

Serves a fresh small demo (SQLite in a temporary folder) on free loopback ports and drives Debian's
Chromium through Playwright. Run: python -m tests.browser.screenshots [--out build/screenshots]
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from tests.browser.walks import WALKS, pages_of, sign_in, switch_partner

CHROMIUM = "/usr/bin/chromium"
WIDTHS = {1280: 900, 390: 844}
LOCALES = ("en-GB", "zh-CN")
#: One walk per kind of reader is enough to see every main page once.
SHOWN = ("signed-out-extranet", "supplier-user", "supplier-admin", "customer-user", "policy-admin")


@contextmanager
def demo_servers(folder: Path) -> Iterator[tuple[str, str]]:
    """Both apps over a freshly loaded small demo, served until the block ends: (extranet, console)."""
    import internal
    import portal
    from internal.web import dispose_database

    url = f"sqlite:///{folder / 'demo.db'}"
    cli = str(Path(sys.executable).with_name("portal"))
    for args in (["db", "upgrade"], ["demo", "load", "--scale", "small"]):
        subprocess.run([cli, *args], env={**os.environ, "DATABASE_URL": url}, check=True, capture_output=True)
    config = {"DATABASE_URL": url, "SECRET_KEY": "screenshots", "RATELIMIT_ENABLED": False}
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
    apps = (portal.create_app(config), internal.create_app(config))
    running = [make_server("127.0.0.1", 0, app, threaded=True) for app in apps]
    for server in running:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield tuple(f"http://127.0.0.1:{s.server_port}" for s in running)  # type: ignore[misc]
    finally:
        for server in running:
            server.shutdown()
            server.server_close()
        for app in apps:
            dispose_database(app)


def take(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with (
        tempfile.TemporaryDirectory() as folder,
        demo_servers(Path(folder)) as (extranet, console),
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for walk in (w for w in WALKS if w.name in SHOWN):
            base = extranet if walk.app == "extranet" else console
            for locale in LOCALES:
                context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
                page = context.new_page()
                if walk.email:
                    sign_in(page, base, walk.email)
                    if walk.switch_to:
                        switch_partner(page, walk.switch_to)
                for path, _stop in pages_of(page, base, walk, main_only=True):
                    slug = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
                    for width, height in WIDTHS.items():
                        page.set_viewport_size({"width": width, "height": height})
                        page.wait_for_timeout(150)  # the chart redraws at its new size
                        target = out / f"{walk.app}-{walk.name}-{slug}-{locale}-{width}.png"
                        page.screenshot(path=target, full_page=True)
                        written.append(target)
                    page.set_viewport_size({"width": 1280, "height": 900})
                context.close()
        browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=Path("build/screenshots"))
    written = take(parser.parse_args().out)
    sys.stdout.write(f"{len(written)} screenshots in {written[0].parent if written else '-'}\n")
    if not subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False).stdout:
        sys.stdout.write("No Chinese font (apt-get install fonts-noto-cjk): Chinese shows as boxes.\n")


if __name__ == "__main__":
    main()
