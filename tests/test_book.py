"""The book's sources (`nox -s docs`): what .ci/build_book.py stages and how docs/conf.py links the pages.
The build itself and the browser check run in `nox -s docs`, which has Sphinx and Chromium."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_book = _load("build_book", ROOT / ".ci" / "build_book.py")
conf = _load("book_conf", ROOT / "docs" / "conf.py")
PAGES = {"index", "paper/README", "docs/method", "docs/notebooks/04_experiments"}


def test_a_mention_of_a_page_links_to_it_relative_to_the_page_that_mentions_it():
    text = "See `docs/method.md` §2 and notebooks/04_experiments.py (profile mini)."
    assert conf.link_mentions(text, "paper/README", PAGES) == (
        "See [`docs/method.md`](../docs/method.md) §2 and "
        "[notebooks/04_experiments.py](../docs/notebooks/04_experiments.ipynb) (profile mini)."
    )


def test_code_blocks_links_and_unknown_pages_stay_as_they_are():
    text = (
        "```bash\npapermill notebooks/04_experiments.ipynb out.ipynb\n```\n"
        "[the experiment](docs/notebooks/04_experiments.ipynb), `results/experiment/README.md`, "
        "notebooks/09_missing.py\n"
    )
    assert conf.link_mentions(text, "index", PAGES) == text


def _checkout(tmp_path: Path, image: bytes = b"\x89PNG") -> Path:
    root = tmp_path / "checkout"
    (root / "paper" / "figures").mkdir(parents=True)
    (root / "docs" / "notebooks").mkdir(parents=True)
    (root / "README.md").write_text("# sf2t\n\n![main](paper/figures/main.png)\n")
    (root / "paper" / "README.md").write_text("# paper\n")
    (root / "docs" / "method.md").write_text("# method\n")
    (root / "paper" / "figures" / "main.png").write_bytes(image)
    (root / "docs" / "notebooks" / "00_video_world.ipynb").write_text(json.dumps({"cells": []}))
    return root


def test_the_readme_is_the_landing_page_with_its_images_and_the_notebooks(tmp_path):
    root = _checkout(tmp_path)
    staged = build_book.stage(root, root / "docs" / "notebooks", tmp_path / "source")
    assert [p.name for p in staged] == ["00_video_world.ipynb"]
    assert (tmp_path / "source" / "index.md").read_text().startswith("# sf2t")
    assert (tmp_path / "source" / "paper" / "figures" / "main.png").read_bytes() == b"\x89PNG"
    assert (tmp_path / "source" / "docs" / "method.md").is_file()


def test_an_empty_image_is_named_with_the_page_that_shows_it(tmp_path):
    root = _checkout(tmp_path, image=b"")
    with pytest.raises(build_book.BookError, match=r"README.md: the image paper/figures/main.png is missing or empty"):
        build_book.stage(root, root / "docs" / "notebooks", tmp_path / "source")


def test_without_executed_notebooks_the_book_says_how_to_make_them(tmp_path):
    root = _checkout(tmp_path)
    with pytest.raises(build_book.BookError, match="nox -s reproduce"):
        build_book.stage(root, tmp_path / "nowhere", tmp_path / "source")
