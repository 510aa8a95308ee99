import csv, glob, os
for f in sorted(glob.glob("curves/*.csv")):
    rs = list(csv.DictReader(open(f)))
    if len(rs) < 2: continue
    last = rs[-1]
    keys = [k for k in last if k not in ("step", "wall_s", "train_s", "loss")]
    print(f"{os.path.basename(f)[:-4]:32s} steps {last['step']:>4} wall {float(last['wall_s'])/60:4.1f}min  " + "  ".join(f"{k}={float(last[k]):.2f}" for k in keys))
