import sys, numpy as np, torch, time
from sf2t.models import tiny
from sf2t.prompts import render_question
from sf2t import synth
fam = sys.argv[1]
size = int(sys.argv[2]) if len(sys.argv) > 2 else 64
nf = int(sys.argv[3]) if len(sys.argv) > 3 else 8
llm = tiny(fam, seed=0, size="mini", image_size=size, num_frames=nf)
m = llm.model
print(llm, "trainable", llm.num_parameters(True))
for name, mod in m.named_children():
    print(" child", name, sum(p.numel() for p in mod.parameters()))
cfg = synth.WorldConfig(backgrounds=("plain",))
frames, truth = synth.render_video(synth.video_seed("train", 5, 0), cfg)
idx = np.linspace(0, 31, nf).round().astype(int)
clip = frames[idx]  # 112px
prompt = render_question("What colour is the object?", ["red", "green", "blue", "yellow"])
b = llm.encode([clip, clip], [prompt, prompt], ["A", "B"])
for k, v in b.items():
    print(k, tuple(v.shape), v.dtype)
ids = b["input_ids"][0]
tok = llm.tokenizer
print("decoded:", repr(tok.decode(ids)))
lab = b["labels"][0]
print("label tokens:", [tok.decode([int(i)]) for i in lab[lab != -100]])
print("letters:", llm.letter_token_ids(list("ABCD")))
vid_id = m.config.video_token_id if hasattr(m.config, "video_token_id") else getattr(m.config, "video_token_index", None)
print("video tokens per clip:", int((ids == vid_id).sum()))
for k in ("video_grid_thw",):
    if k in b: print(k, b[k].tolist())
pv = b.get("pixel_values_videos")
if pv is not None:
    print("pixel_values_videos stats", pv.shape, float(pv.mean()), float(pv.std()))
m.train()
t = time.time()
for _ in range(3):
    b = llm.encode([clip]*16, [prompt]*16, ["A"]*16)
te = (time.time() - t)/3
t = time.time()
loss = llm.loss(b); loss.backward()
print("encode b16 %.3fs  fwd+bwd %.3fs loss %.3f" % (te, time.time()-t, loss.item()))
nograd = [n for n, p in m.named_parameters() if p.grad is None or p.grad.abs().sum() == 0]
print("params with zero/none grad:", len(nograd), nograd[:10])
