"""Fail if a notebook's .py (percent) and its paired .ipynb differ, or the .ipynb carries
outputs. Run by ``nox -s notebooks``."""

import json
import sys
from pathlib import Path

import jupytext


def cells(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def main(folder: str) -> int:
    problems = []
    pys = sorted(Path(folder).glob("[0-9][0-9]_*.py"))
    if not pys:
        problems.append(f"{folder}: no notebooks")
    for py in pys:
        ipynb = py.with_suffix(".ipynb")
        if not ipynb.exists():
            problems.append(f"{py}: no paired {ipynb.name}")
            continue
        a, b = jupytext.read(py), jupytext.read(ipynb)
        if cells(a) != cells(b):
            diff = next(i for i, (x, y) in enumerate(zip(cells(a) + [None], cells(b) + [None])) if x != y)
            problems.append(f"{py} and {ipynb.name} differ (first at cell {diff}); run `jupytext --sync {py}`")
        raw = json.loads(ipynb.read_text())
        dirty = [i for i, c in enumerate(raw["cells"]) if c.get("outputs") or c.get("execution_count")]
        if dirty:
            problems.append(f"{ipynb}: outputs not stripped in cells {dirty}")
        spec = raw.get("metadata", {}).get("kernelspec", {})
        if spec.get("name") != "python3":
            problems.append(f"{ipynb}: kernelspec must be 'python3' (resolves to the active environment), got {spec}")
    for p in problems:
        print(p, file=sys.stderr)
    print(f"{len(pys)} notebook pair(s) checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else "notebooks"))
