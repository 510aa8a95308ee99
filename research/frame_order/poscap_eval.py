"""Held-out position-caption accuracy of a saved model (after a position-caption stage).
Run: PYTHONPATH=. python research/frame_order/poscap_eval.py MODEL_DIR SIDE OUT_NAME"""

import json
import sys

import common
import vision_run as v
from sf2t.models import load

path, side, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
c = {**v.DEFAULTS, "speed_share": {"slow": 0.5, "fast": 0.65}, "size_range": [0.18, 0.25], "side": side}
cfg = v.setup_world(c)
llm = load(path)
if llm.family.startswith("qwen"):
    for p in (llm.processor.video_processor, llm.processor.image_processor):
        p.size = {"shortest_edge": p.size["shortest_edge"], "longest_edge": side ** 2}
pc = v.double(common.make_poscap_items(common.videos(cfg, "labelled", 21, 80), 1, seed=5), llm.temporal_merge > 1)
res = {"model": name, "side": side, "video": common.poscap_accuracy(llm, [i for i in pc if not i.numbered]),
       "numbered": common.poscap_accuracy(llm, [i for i in pc if i.numbered]),
       "note": "teacher-forced argmax accuracy of the x/y bin digits (8 bins per axis), 80 held-out videos"}
print(json.dumps(res))
common.save_json(f"{common.HERE}/results/poscap_{name}.json", res)
