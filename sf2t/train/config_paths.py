"""The local paths a training config names (its output folder, init, a model folder, each data and
eval-data file and root), mapped in one place: a run records them relative to its folder in
``train_config.json`` and reads them back absolute, and the resume check compares them absolute."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def map_paths(values: dict[str, Any], fn: Callable[[str], str], local_model: Callable[[str], bool]) -> dict[str, Any]:
    """A config's fields with every local path passed through ``fn``: ``output_dir``, ``init``,
    each data and eval_data file and root, and ``model`` where ``local_model`` says it is a folder
    (not ``tiny:<family>``, not a hub id). Values of the wrong type are left for validation."""
    out = dict(values)
    for key in ("output_dir", "init"):
        if isinstance(out.get(key), str) and out[key]:
            out[key] = fn(out[key])
    if isinstance(out.get("model"), str) and out["model"] and local_model(out["model"]):
        out["model"] = fn(out["model"])
    for key in ("data", "eval_data"):
        if not isinstance(out.get(key), list):
            continue
        sources = []
        for src in out[key]:
            if isinstance(src, str):
                src = fn(src)
            elif isinstance(src, dict):
                src = {**src, **{k: fn(src[k]) for k in ("path", "root") if isinstance(src.get(k), str)}}
            sources.append(src)
        out[key] = sources
    return out
