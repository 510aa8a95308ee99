"""Generate worlds (real MP4 via sf2t.synth.generate) and cache decoded frames as .npy."""
import json, sys, time
from pathlib import Path
import numpy as np
from sf2t import synth
from sf2t.video import load_clip

ROOT = Path("/work/scratch/recipe/data")
WORLDS = {
    "full": synth.WorldConfig(),
    "plain": synth.WorldConfig(backgrounds=("plain",)),
}

def make(world, split, n, seed=0):
    d = ROOT / "videos" / f"{world}-{split}"
    t = time.time()
    truths = synth.generate(d, n, split, seed=seed, config=WORLDS[world], progress=False)
    print(world, split, n, "generated in", round(time.time() - t, 1), "s", flush=True)
    meta = [{k: tr[k] for k in ("id", "seed", "action", "objects", "actor", "speed", "caption")} | {"background": tr["background"]["kind"]} for tr in truths]
    (ROOT / f"{world}-{split}.json").write_text(json.dumps(meta))
    return d, truths

def cache(world, split, nframes, size=None):
    d = ROOT / "videos" / f"{world}-{split}"
    truths = json.loads((ROOT / f"{world}-{split}.json").read_text())
    out = ROOT / f"{world}-{split}-f{nframes}.npy"
    if out.exists():
        return
    t = time.time()
    arr = None
    for i, tr in enumerate(truths):
        clip = load_clip(d / f"{tr['id']}.mp4", n=nframes, rule="centers")
        if arr is None:
            arr = np.lib.format.open_memmap(out.with_suffix(".tmp.npy"), mode="w+", dtype=np.uint8,
                                            shape=(len(truths),) + clip.frames.shape)
        arr[i] = clip.frames
    arr.flush(); del arr
    out.with_suffix(".tmp.npy").rename(out)
    print("cached", out.name, round(time.time() - t, 1), "s", flush=True)

if __name__ == "__main__":
    for world in ("plain", "full"):
        make(world, "train", 3000)
        make(world, "labelled", 600)
        for split in ("train", "labelled"):
            cache(world, split, 8)

WORLDS["one"] = synth.WorldConfig(backgrounds=("plain",), min_objects=1, max_objects=1,
                                  actions=tuple(x for x in synth.ACTIONS if x != "collide"))
