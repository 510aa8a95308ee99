"""Sphinx configuration of the book that `nox -s docs` builds (.ci/build_book.py stages the sources):
README.md as the landing page (index.html), paper/README.md, docs/method.md and the executed notebooks of
docs/notebooks/, rendered with their stored outputs by MyST-NB; nothing is executed again.

Two additions to the pages, made here so the Markdown files stay as a code host shows them: the
navigation (a hidden table of contents added to the landing page) and links from every mention of
another page (`docs/method.md`, `paper/README.md`, `notebooks/04_experiments.py`, ...) to that page.
"""

from __future__ import annotations

import json
import os
import re

project = "sf2t"
author = "sf2t developers"
html_title = "sf2t: SF²T and FineVidBench, executed"
root_doc = "index"  # README.md, staged as index.md (.ci/build_book.py)
extensions = ["myst_nb"]
exclude_patterns = ["_build", "**/.ipynb_checkpoints"]

nb_execution_mode = "off"  # the notebooks were executed by `nox -s reproduce`; the book only shows them
nb_merge_streams = True  # a cell's stdout as one block, as Jupyter shows it
myst_heading_anchors = 3
html_theme = "sphinx_book_theme"
html_theme_options = {
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "use_download_button": True,
    "use_fullscreen_button": False,
}
html_context = {"default_mode": "light"}  # unset, the theme logs "Got invalid theme mode" at a first visit
html_favicon = "favicon.svg"  # without one, the browser asks for /favicon.ico and logs a 404
html_show_sourcelink = False
html_last_updated_fmt = None  # no build date: a rebuild of the same sources writes the same pages
html_permalinks_icon = "#"

# the pages in reading order; the notebooks' folder is globbed (00 ... 05)
CHAPTERS = ["paper/README", "docs/method"]
NOTEBOOKS = "docs/notebooks"
CODE_FENCE = re.compile(r"^(```|~~~).*?^\1", flags=re.M | re.S)
MENTION = re.compile(
    r"(?<!\]\()(?<![\[/\w])(`?)(?P<path>docs/method\.md|paper/README\.md|README\.md|notebooks/(?P<nb>\d\d_\w+)\.(?:py|ipynb))"
    r"(?P<section> §\d+)?\1(?![\]\w])"
)


def _pages(srcdir: str) -> set[str]:
    pages = {page for page in (root_doc, *CHAPTERS) if os.path.isfile(os.path.join(srcdir, page + ".md"))}
    folder = os.path.join(srcdir, NOTEBOOKS)
    if os.path.isdir(folder):
        pages |= {f"{NOTEBOOKS}/{name[:-6]}" for name in os.listdir(folder) if name.endswith(".ipynb")}
    return pages


def link_mentions(text: str, docname: str, pages: set[str]) -> str:
    """Each mention of a page outside code blocks as a Markdown link to that page, relative to ``docname``."""

    def link(match: re.Match) -> str:
        target = f"{NOTEBOOKS}/{match['nb']}" if match["nb"] else match["path"][: -len(".md")]
        target = root_doc if target == "README" else target
        if target not in pages or target == docname:
            return match[0]
        suffix = ".ipynb" if match["nb"] else ".md"
        href = os.path.relpath(target + suffix, os.path.dirname(docname) or ".").replace(os.sep, "/")
        return f"[{match[0]}]({href})"

    parts, last = [], 0
    for fence in CODE_FENCE.finditer(text):
        parts += [MENTION.sub(link, text[last : fence.start()]), fence[0]]
        last = fence.end()
    return "".join([*parts, MENTION.sub(link, text[last:])])


def _source_read(app, docname: str, source: list[str]) -> None:
    pages = _pages(app.srcdir)
    if docname.startswith(NOTEBOOKS + "/"):
        nb = json.loads(source[0])
        for cell in nb["cells"]:
            if cell["cell_type"] == "markdown":
                text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                cell["source"] = link_mentions(text, docname, pages)
        source[0] = json.dumps(nb, ensure_ascii=False)
        return
    source[0] = link_mentions(source[0], docname, pages)
    if docname == root_doc:
        chapters = "\n".join(c for c in CHAPTERS if c in pages)
        source[0] += f"\n\n```{{toctree}}\n:hidden:\n:caption: The paper and the method\n\n{chapters}\n```\n"
        if any(p.startswith(NOTEBOOKS + "/") for p in pages):
            source[0] += (
                f"\n```{{toctree}}\n:hidden:\n:glob:\n:caption: The notebooks, executed\n\n{NOTEBOOKS}/*\n```\n"
            )


def setup(app):
    app.connect("source-read", _source_read)
    return {"parallel_read_safe": True}
