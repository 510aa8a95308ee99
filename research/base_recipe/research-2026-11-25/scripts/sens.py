import numpy as np, torch, sys
torch.set_num_threads(1)
from sf2t.models import tiny
from sf2t.prompts import render_question
fam = sys.argv[1]
llm = tiny(fam, seed=0, size="mini", image_size=64, num_frames=8)
fr = np.load("data/plain-train-f8.npy", mmap_mode="r")
pr = render_question("Roughly what happens in the video?", ["a","b","c","d"])
pr2 = render_question("What object is in the video?", ["a","b","c","d"])
clips = [np.asarray(fr[i]) for i in range(4)]
with torch.no_grad():
    b = llm.encode(clips + [clips[0]], [pr]*4 + [pr2]); b.pop("labels")
    out = llm.model(**b, output_hidden_states=True)
L = out.logits[:, -1]
print("logit diff video0 vs video1..3:", [float((L[0]-L[i]).abs().mean()) for i in (1,2,3)], "prompt change:", float((L[0]-L[4]).abs().mean()))
hs = out.hidden_states
for l, h in enumerate(hs):
    print("layer", l, "last-pos diff across videos", float((h[0,-1]-h[1,-1]).norm()/h[0,-1].norm()))
