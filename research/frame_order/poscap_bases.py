"""Position-bin reading (as base_run.py measures it: 80 held-out fragment-world videos, four frames as a
video or numbered, the share of coordinates said right) of the given models.

Run from this folder: PYTHONPATH=../..:. python poscap_bases.py NAME MODEL_DIR [MODEL_DIR ...]
Writes results/poscap_NAME.json."""

import json
import sys
from pathlib import Path

import common
import vision_run as v

from sf2t.models import load

HERE = Path(common.HERE)
REPO = Path(common.REPO)


def heldout_bins(llm) -> dict:
    """The share of position bins ``llm`` says right on 80 held-out fragment-world videos, four frames
    shown as a video and as numbered frames (the measure of base_run.py, base_extend.py and this script)."""
    vc = {**v.DEFAULTS, "speed_share": {"slow": 0.5, "fast": 0.65}, "size_range": [0.18, 0.25]}
    items = common.make_poscap_items(common.videos(v.setup_world(vc), "labelled", 21, 80), 1, seed=5)
    items = v.double(items, llm.temporal_merge > 1)
    return {"video": common.poscap_accuracy(llm, [i for i in items if not i.numbered]),
            "numbered": common.poscap_accuracy(llm, [i for i in items if i.numbered])}


def main(name, paths):
    out = {}
    for path in paths:
        key = Path(path).resolve()
        key = key.relative_to(REPO).as_posix() if key.is_relative_to(REPO) else key.as_posix()
        out[key] = heldout_bins(load(path))
        print(key, json.dumps(out[key]), flush=True)
    common.save_json(f"{HERE}/results/poscap_{name}.json", out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
