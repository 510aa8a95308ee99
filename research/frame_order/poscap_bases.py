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


def main(name, paths):
    out = {}
    vc = {**v.DEFAULTS, "speed_share": {"slow": 0.5, "fast": 0.65}, "size_range": [0.18, 0.25]}
    videos = common.videos(v.setup_world(vc), "labelled", 21, 80)
    for path in paths:
        llm = load(path)
        pc = v.double(common.make_poscap_items(videos, 1, seed=5), llm.temporal_merge > 1)
        key = Path(path).resolve()
        key = key.relative_to(REPO).as_posix() if key.is_relative_to(REPO) else key.as_posix()
        out[key] = {"video": common.poscap_accuracy(llm, [i for i in pc if not i.numbered]),
                    "numbered": common.poscap_accuracy(llm, [i for i in pc if i.numbered])}
        print(key, json.dumps(out[key]), flush=True)
    common.save_json(f"{HERE}/results/poscap_{name}.json", out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
