"""Generate the research worlds (real MP4 via sf2t.world.generate) and cache their decoded frames as .npy.

Writes, per world W and split S (train, labelled): ``W-S.json`` (the truth fields the questions need),
``videos/W-S/`` (the MP4s) and ``W-S-f8.npy`` (8 frames per clip at the clip centres, uint8), which
train.py and the probes read. Worlds: ``plain`` (1-3 objects, plain background), ``full`` (every
background) and ``one`` (one object, plain background, every action but collide: rounds 2 and 3).
The bench split is never generated.

Run from the repository root; the study used 3,000 train and 600 labelled videos per world (several
minutes per world on 2 cores):

    python research/base_recipe/research-2026-11-25/scripts/prep.py --worlds plain,full,one
    python research/base_recipe/research-2026-11-25/scripts/prep.py --worlds one --train 32 --labelled 16 \\
        --root /tmp/recipe-data   # a smoke-sized copy
"""
import argparse, json, sys, time
from pathlib import Path
import numpy as np
from sf2t import world
from sf2t.video import load_clip

REPO = Path(__file__).resolve().parents[4]
ROOT = REPO / "research" / "base_recipe" / "scratch" / "data"
WORLDS = {
    "full": world.WorldConfig(),
    "plain": world.WorldConfig(backgrounds=("plain",)),
    "one": world.WorldConfig(backgrounds=("plain",), min_objects=1, max_objects=1,
                             actions=tuple(x for x in world.ACTIONS if x != "collide")),
}

def make(world_name, split, n, seed=0):
    d = ROOT / "videos" / f"{world_name}-{split}"
    t = time.time()
    truths = world.generate(d, n, split, seed=seed, config=WORLDS[world_name], progress=False)
    print(world_name, split, n, "generated in", round(time.time() - t, 1), "s", flush=True)
    meta = [{k: tr[k] for k in ("id", "seed", "action", "objects", "actor", "speed", "caption")} | {"background": tr["background"]["kind"]} for tr in truths]
    (ROOT / f"{world_name}-{split}.json").write_text(json.dumps(meta))
    return d, truths

def cache(world_name, split, nframes, size=None):
    d = ROOT / "videos" / f"{world_name}-{split}"
    truths = json.loads((ROOT / f"{world_name}-{split}.json").read_text())
    out = ROOT / f"{world_name}-{split}-f{nframes}.npy"
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
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--root", default=str(ROOT), help="data folder (default: research/base_recipe/scratch/data)")
    ap.add_argument("--worlds", default="plain,full,one", help=f"comma-separated, of {sorted(WORLDS)}")
    ap.add_argument("--train", type=int, default=3000, help="train-split videos per world")
    ap.add_argument("--labelled", type=int, default=600, help="labelled-split videos per world (held-out questions)")
    ap.add_argument("--frames", type=int, default=8, help="frames cached per clip")
    args = ap.parse_args()
    ROOT = Path(args.root)
    ROOT.mkdir(parents=True, exist_ok=True)
    for world_name in args.worlds.split(","):
        make(world_name, "train", args.train)
        make(world_name, "labelled", args.labelled)
        for split in ("train", "labelled"):
            cache(world_name, split, args.frames)
