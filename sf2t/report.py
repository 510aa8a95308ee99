"""Tables and figures for ``paper/``, made from results files only.

This module imports no model, training or evaluation code (an import-linter contract): a
table can only show what a run wrote to ``results/``. Outputs are deterministic — the same
rows give the same bytes (CSV, Markdown, LaTeX; PDF without a creation date) — so a
rerun with the same seeds regenerates ``paper/`` byte for byte.

The notebooks make ``paper/``; the ``sf2t report table`` command shows one table of any results
file (``summary.json``, an evaluation's ``aggregate.json``) on the console or writes it in the
same three formats, so a run's numbers can be looked at without a notebook.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import sys
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


# --------------------------------------------------------------------------- sf2t report table


def _flat(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _tables(data: Any, prefix: str = "", depth: int = 3) -> list[str]:
    """Dotted keys under which ``data`` holds rows (for the error that asks for ``--rows``)."""
    if not isinstance(data, dict) or depth == 0:
        return []
    found = []
    for key, value in data.items():
        if _as_rows(value) is not None:
            found.append(prefix + key)
        found += _tables(value, f"{prefix}{key}.", depth - 1)
    return found


def _as_rows(value: Any) -> list[dict[str, Any]] | None:
    """A list of objects as rows; an object of objects as rows with their names in ``key``."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [_flat(v) for v in value]
    if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
        return [{"key": k, **_flat(v)} for k, v in value.items()]
    return None


def table_rows(data: Any, rows: str | None = None, source: str = "results") -> list[dict[str, Any]]:
    """The rows of a results file's JSON ``data`` at the dotted key ``rows`` (the whole file when
    None): a list of objects, or an object of objects (each name in a ``key`` column); nested
    objects become dotted columns. A `ValueError` says which keys would have been tables."""
    value = data
    for part in rows.split(".") if rows else []:
        if not isinstance(value, dict) or part not in value:
            raise ValueError(f"{source} has no {rows!r}; tables in it: {', '.join(_tables(data)) or 'none'}")
        value = value[part]
    table = _as_rows(value)
    if table is None:
        where = f"{rows!r} in {source}" if rows else source
        hint = ", ".join(_tables(value)) or "none"
        raise ValueError(f"{where} is not a list of rows; choose one with --rows: {hint}")
    return table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="report_command", metavar="ACTION", required=True)
    table = sub.add_parser(
        "table",
        help="show a results file's rows as a table, or write them as OUT.csv, OUT.md and OUT.tex",
        description="Show a results file's rows as a Markdown table, or write them as CSV, Markdown and LaTeX.",
    )
    table.add_argument("results", help="a JSON results file, e.g. results/experiment/mini/summary.json")
    table.add_argument(
        "--rows",
        default=None,
        help="dotted key of the rows in the file, e.g. main or baselines.blind.categories (default: the whole file)",
    )
    table.add_argument("--columns", default=None, help="comma-separated columns to show, in order (default: all)")
    table.add_argument("--caption", default="", help="caption above the Markdown and LaTeX tables")
    table.add_argument("--digits", type=int, default=1, help="decimals shown (the CSV keeps full precision)")
    table.add_argument("--out", default=None, help="write OUT.csv, OUT.md and OUT.tex instead of printing Markdown")


def run_cli(args: argparse.Namespace) -> int:
    try:
        if args.digits < 0:
            raise ValueError(f"--digits must be at least 0, got {args.digits}")
        rows = table_rows(read_json(args.results), args.rows, source=args.results)
        columns = _columns(rows, None)
        if args.columns:
            wanted = [c.strip() for c in args.columns.split(",") if c.strip()]
            unknown = [c for c in wanted if c not in columns]
            if unknown:
                raise ValueError(f"no column(s) {', '.join(unknown)}; columns: {', '.join(columns)}")
            columns = wanted
        source = args.results + (f" ({args.rows})" if args.rows else "")
        if args.out:
            paths = write_table(rows, args.out, columns, args.caption, source, args.digits)
            print(f"sf2t report: wrote {', '.join(str(p) for p in paths.values())}")
        else:
            print(table_to_markdown(rows, columns, args.caption, source, args.digits), end="")
    except (OSError, ValueError) as exc:  # json.JSONDecodeError is a ValueError
        message = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        print(f"sf2t report: {message}", file=sys.stderr)
        return 2
    return 0
