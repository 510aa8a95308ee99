"""Build the book of `nox -s docs`: stage its sources in the checkout's layout (README.md as
index.md, the landing page; paper/README.md, docs/method.md, the executed notebooks as docs/notebooks/, every image the
Markdown pages show) and render them with Sphinx and MyST-NB (docs/conf.py), executing nothing.
Staging keeps Sphinx from walking the checkout (its virtualenvs hold gigabytes) and lets the
quick profile's executed copies stand in for the committed ones while developing.

    python .ci/build_book.py --root CHECKOUT --notebooks docs/notebooks --out docs/_build
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

PAGES = {"README.md": "index.md", "paper/README.md": "paper/README.md", "docs/method.md": "docs/method.md"}
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)")


class BookError(Exception):
    """The book cannot be built from these sources; the message says which file and why."""


def stage(root: Path, notebooks: Path, source: Path) -> list[Path]:
    """Copy the book's sources into ``source``; the staged notebooks, in order."""
    if source.exists():
        shutil.rmtree(source)
    for page, staged_as in PAGES.items():
        (source / staged_as).parent.mkdir(parents=True, exist_ok=True)
        text = (root / page).read_text(encoding="utf-8")
        (source / staged_as).write_text(text, encoding="utf-8")
        for ref in IMAGE.findall(text):
            if "://" in ref:
                continue
            image = (root / page).parent / ref
            if not image.is_file() or image.stat().st_size == 0:
                raise BookError(f"{page}: the image {ref} is missing or empty")
            target = (source / staged_as).parent / ref
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(image, target)
    books = sorted(notebooks.glob("[0-9][0-9]_*.ipynb"))
    if not books:
        raise BookError(f"{notebooks}: no executed notebooks; `nox -s reproduce` writes them")
    staged = source / "docs" / "notebooks"
    staged.mkdir(parents=True, exist_ok=True)
    for book in books:
        shutil.copyfile(book, staged / book.name)
    return [staged / b.name for b in books]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--notebooks", type=Path, default=None, help="executed notebooks (default docs/notebooks)")
    parser.add_argument("--out", type=Path, default=None, help="build folder (default docs/_build)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    notebooks = (args.notebooks or root / "docs" / "notebooks").resolve()
    out = (args.out or root / "docs" / "_build").resolve()
    try:
        staged = stage(root, notebooks, out / "source")
    except (BookError, OSError) as exc:
        print(f"build_book: {exc}", file=sys.stderr)
        return 2
    print(f"staged {len(staged)} notebooks from {notebooks} and {len(PAGES)} pages into {out / 'source'}")
    html = out / "html"
    shutil.rmtree(html, ignore_errors=True)  # no page of an earlier build survives
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-c", str(root / "docs"), "-W", "--keep-going",
               "-q", "-E", str(out / "source"), str(html)]  # fmt: skip
    done = subprocess.run(command, check=False)
    if done.returncode == 0:
        print(f"book: {html / 'index.html'}")
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
