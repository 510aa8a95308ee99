"""The loss curve of a run, as ``loss.csv`` (appended every step, so a killed run keeps it) and
``loss.json`` (rewritten at checkpoints and at the end)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from sf2t.common.records import write_text_atomic as write_atomic

COLUMNS = ("step", "loss", "lr", "samples_per_s", "elapsed_s", "eval_loss")


class LossCurve:
    """Rows of ``{step, loss, lr, samples_per_s, elapsed_s, eval_loss}``; ``eval_loss`` is None
    except at evaluation steps. Only the main process writes files."""

    def __init__(self, run_dir: str | Path, rows: list[dict[str, Any]] | None = None, write: bool = True):
        self.csv_path = Path(run_dir) / "loss.csv"
        self.json_path = Path(run_dir) / "loss.json"
        self.rows: list[dict[str, Any]] = list(rows or [])
        self.write = write
        self._fh = None
        if write:
            self.csv_path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.csv_path, "w", encoding="utf-8", newline="")
            self._writer = csv.DictWriter(self._fh, fieldnames=COLUMNS)
            self._writer.writeheader()
            for row in self.rows:
                self._writer.writerow(_csv_row(row))
            self._fh.flush()

    def append(self, row: dict[str, Any]) -> None:
        row = {key: row.get(key) for key in COLUMNS}
        self.rows.append(row)
        if self._fh is not None:
            self._writer.writerow(_csv_row(row))
            self._fh.flush()

    def save_json(self) -> None:
        if not self.write:
            return
        payload = {"columns": list(COLUMNS), "rows": json_rows(self.rows)}
        write_atomic(self.json_path, json.dumps(payload, indent=1, allow_nan=False) + "\n")

    def close(self) -> None:
        self.save_json()
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def json_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with non-finite numbers as null (JSON has no NaN)."""
    return [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()} for r in rows]


def _csv_row(row: dict[str, Any]) -> dict[str, Any]:
    return {key: "" if row.get(key) is None else row[key] for key in COLUMNS}


def read_curve(run_dir: str | Path) -> list[dict[str, Any]]:
    """The rows of a run's ``loss.json``."""
    return json.loads((Path(run_dir) / "loss.json").read_text(encoding="utf-8"))["rows"]
