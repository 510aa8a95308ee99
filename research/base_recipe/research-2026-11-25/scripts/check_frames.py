import sys, numpy as np, torch
torch.set_num_threads(1)
from sf2t.models import tiny
fam = sys.argv[1]; nf = int(sys.argv[2]); inp = int(sys.argv[3]); size = int(sys.argv[4])
llm = tiny(fam, seed=0, size="mini", image_size=size, num_frames=nf)
clip = np.zeros((nf, inp, inp, 3), np.uint8)
for k in range(nf):
    clip[k] = 10 + 15 * k
b = llm.encode([clip], ["hi"], ["A"])
pv = b["pixel_values_videos"]
print(fam, "pixel_values_videos", tuple(pv.shape), {k: (tuple(v.shape) if hasattr(v,'shape') else v) for k,v in b.items()})
if pv.ndim == 2:  # qwen layout: rows = patches, cols = C*tp*p*p
    thw = b["video_grid_thw"][0].tolist(); tp = 2; C = 3
    p = int((pv.shape[1] // (C * tp)) ** 0.5)
    x = pv.reshape(thw[0], thw[1] * thw[2], C, tp, p, p)
    print("grid", thw, "patch", p)
    print("per (group, tp) mean of channel 0:", x[:, :, 0].mean(dim=(1, 3, 4)).round(decimals=3).tolist())
else:
    print("per-frame mean channel 0:", pv[0, :, 0].mean(dim=(-1, -2)).round(decimals=3).tolist())
print("video tokens:", int((b["input_ids"] == getattr(llm.model.config, "video_token_id", getattr(llm.model.config, "video_token_index", -1))).sum()))
