"""Tables and figures for ``paper/``, made from results files only.

This module imports no model, training or evaluation code (an import-linter contract): a
table can only show what a run wrote to ``results/``. Outputs are deterministic — the same
rows give the same bytes (CSV, Markdown, LaTeX; PDF without a creation date) — so a
rerun with the same seeds regenerates ``paper/`` byte for byte.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

TABLE_FORMATS = ("csv", "md", "tex")
FIGURE_FORMATS = ("pdf", "png")


DEFAULT_PROFILE = "mini"
#: Where a notebook run by hand writes its tables and figures: ``<repo>/results/scratch/<notebook>/``.
SCRATCH = ("results", "scratch")


def paper_root(
    repo: str | os.PathLike,
    profile: str | None,
    paper_dir: str | os.PathLike | None = None,
    notebook: str = "notebook",
) -> Path:
    """Where a notebook writes a profile's tables and figures.

    ``paper_dir`` is the paper folder (`nox -s reproduce` passes the repository's ``paper/``);
    without it, a scratch folder ``results/scratch/<notebook>/`` (git-ignored), so a notebook run
    by hand never rewrites the committed artifacts. Inside it the default profile writes to the
    folder itself and any other profile to ``<profile>/``, so a quick or full run never overwrites
    the default's; ``profile=None`` is for artifacts that are the same under every profile."""
    base = Path(paper_dir) if paper_dir else Path(repo).joinpath(*SCRATCH, notebook)
    return base if profile in (None, DEFAULT_PROFILE) else base / profile


def read_json(path: str | os.PathLike) -> Any:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def read_loss_curves(run_dirs: Sequence[str | os.PathLike]) -> list[dict[str, Any]]:
    """The ``loss.csv`` files of consecutive training runs (a curriculum's stages) as one curve:
    rows ``{step, loss, stage}`` with steps counted on from the previous run's last step."""
    rows: list[dict[str, Any]] = []
    for stage, run_dir in enumerate(run_dirs):
        offset = rows[-1]["step"] if rows else 0
        with open(Path(run_dir) / "loss.csv", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                rows.append({"step": offset + int(row["step"]), "loss": float(row["loss"]), "stage": stage})
    return rows


def format_value(value: Any, digits: int = 1) -> str:
    """Numbers with a fixed number of decimals; None/NaN as an en dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def format_mean_ci(mean: float | None, low: float | None, high: float | None, digits: int = 1) -> str:
    """``"mean ± half-width"`` of a 95% interval (symmetric display of [low, high])."""
    if mean is None or low is None or high is None:
        return format_value(mean, digits)
    return f"{mean:.{digits}f} ± {(high - low) / 2:.{digits}f}"


def _columns(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None) -> list[str]:
    if columns is not None:
        return list(columns)
    seen: list[str] = []
    for row in rows:
        seen += [k for k in row if k not in seen]
    return seen


def _latex_escape(text: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("#", r"\#"), ("_", r"\_")):
        text = text.replace(a, b)
    return text.replace("±", r"$\pm$")


def table_to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str], digits: int = 4) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            [format_value(row.get(c), digits) if isinstance(row.get(c), float) else row.get(c, "") for c in columns]
        )
    return buf.getvalue()


def table_to_markdown(rows, columns, caption: str = "", source: str = "", digits: int = 1) -> str:
    lines = []
    if caption:
        lines += [f"**{caption}**", ""]
    lines.append("| " + " | ".join(columns) + " |")
    lines.append("|" + "|".join("---" for _ in columns) + "|")
    for row in rows:
        lines.append("| " + " | ".join(format_value(row.get(c), digits) for c in columns) + " |")
    if source:
        lines += ["", f"Source: {source}"]
    return "\n".join(lines) + "\n"


def table_to_latex(rows, columns, caption: str = "", source: str = "", digits: int = 1) -> str:
    spec = "l" + "r" * (len(columns) - 1)
    lines = [r"\begin{table}[t]", r"\centering"]
    if caption:
        lines.append(rf"\caption{{{_latex_escape(caption)}}}")
    lines += [rf"\begin{{tabular}}{{{spec}}}", r"\toprule"]
    lines.append(" & ".join(_latex_escape(str(c)) for c in columns) + r" \\")
    lines.append(r"\midrule")
    for row in rows:
        lines.append(" & ".join(_latex_escape(format_value(row.get(c), digits)) for c in columns) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    if source:
        lines.append(rf"\par\smallskip\footnotesize Source: {_latex_escape(source)}")
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def write_table(
    rows: Sequence[dict[str, Any]],
    stem: str | os.PathLike,
    columns: Sequence[str] | None = None,
    caption: str = "",
    source: str = "",
    digits: int = 1,
) -> dict[str, Path]:
    """Write ``stem.csv``, ``stem.md`` and ``stem.tex``. ``source`` says where every number
    came from (a results file, a notebook) and is printed under the Markdown and LaTeX
    tables; the CSV keeps full precision for machines."""
    if not rows:
        raise ValueError(f"{stem}: no rows to write")
    cols = _columns(rows, columns)
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    texts = {
        "csv": table_to_csv(rows, cols),
        "md": table_to_markdown(rows, cols, caption, source, digits),
        "tex": table_to_latex(rows, cols, caption, source, digits),
    }
    paths = {}
    for ext, text in texts.items():
        path = stem.with_suffix(f".{ext}")
        path.write_text(text, encoding="utf-8")
        paths[ext] = path
    return paths


def save_figure(fig, stem: str | os.PathLike, dpi: int = 150) -> dict[str, Path]:
    """Save a matplotlib figure as PDF and PNG with no timestamps, so equal figures give
    equal files."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = {}
    for ext in FIGURE_FORMATS:
        path = stem.with_suffix(f".{ext}")
        metadata = {"CreationDate": None, "Producer": None} if ext == "pdf" else {"Software": None}
        fig.savefig(path, dpi=dpi, bbox_inches="tight", metadata=metadata)
        paths[ext] = path
    return paths
