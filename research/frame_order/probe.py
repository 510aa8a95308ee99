"""(a) Do the visual tokens that enter the language model carry the object's position?

For each family: the committed mini base (results/bases/mini/<family>/stage-1/final) and a fresh
random model of the same config (sf2t.models.tiny, fan-in init, seed 0). Videos of the mini world
(8 frames, every second frame of the 16), given as a video exactly as the disorder task does. For
each LM token group (one frame for the LLaVA families; one frame *pair* for the Qwen families,
temporal patch 2) the group's tokens are concatenated and a ridge regression (alpha by 5-fold CV
on the training videos) predicts the actor's box centre x and y (synthetic truth, diagnostic only)
of each frame in the group. Train on 300 train-split videos, test on 100 labelled-split videos
(never seen). Frames where the actor is invisible are dropped. Also the change of x,y inside a
Qwen frame pair (is the order inside a pair visible?), and two references: ridge on the raw
pixels (downsampled 16x16), and the 'which token' quantisation error (predicting the centre of the
2x2 token cell that holds the object).

Run: PYTHONPATH=. python research/frame_order/probe.py   (writes probe.json, ~5 min)
"""

import numpy as np
import torch

from common import FAMILIES4, HERE, MINI_SIZE, REPO, save_json, videos, visual_embeddings, world
from sf2t.models import load, tiny

IDX = list(range(0, 16, 2))


def ridge_fit_eval(Xtr, Ytr, Xte, Yte, alphas=(0.1, 1, 10, 100, 1000, 10000)):
    mu, sd = Xtr.mean(0), Xtr.std(0) + 1e-6
    Xtr, Xte = (Xtr - mu) / sd, (Xte - mu) / sd
    ym = Ytr.mean(0)

    def fit(X, Y, a):
        d = X.shape[1]
        return np.linalg.solve(X.T @ X + a * np.eye(d), X.T @ (Y - ym))

    folds = np.arange(len(Xtr)) % 5
    best, best_err = None, np.inf
    for a in alphas:
        err = 0.0
        for f in range(5):
            W = fit(Xtr[folds != f], Ytr[folds != f], a)
            err += ((Xtr[folds == f] @ W + ym - Ytr[folds == f]) ** 2).sum()
        if err < best_err:
            best, best_err = a, err
    W = fit(Xtr, Ytr, best)
    P = Xte @ W + ym
    r2 = 1 - ((P - Yte) ** 2).sum(0) / ((Yte - Yte.mean(0)) ** 2).sum(0)
    rmse = np.sqrt(((P - Yte) ** 2).mean(0))
    mae = np.abs(P - Yte).mean(0)
    return {"alpha": best, "r2": [round(float(v), 3) for v in r2], "rmse_px": [round(float(v), 2) for v in rmse],
            "mae_px": [round(float(v), 2) for v in mae]}


def features(llm, vids):
    """Per token group: (features, [(x, y) per frame in group] or None if invisible)."""
    X, Y = [], []
    for frames, truth in vids:
        f = frames[IDX]
        b = llm.encode([f], ["Describe."])
        emb = visual_embeddings(llm, b).numpy()
        per = llm.temporal_merge
        groups = len(IDX) // per
        tok = emb[: (len(emb) // groups) * groups].reshape(groups, -1) if len(emb) % groups == 0 else \
            emb[: len(emb) - len(emb) % groups].reshape(groups, -1)  # llava_onevision: drop the newline token
        for g in range(groups):
            xy = []
            for k in range(per):
                box = truth["boxes"][IDX[g * per + k]][truth["actor"]]
                xy.append(None if box is None else ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2))
            if any(v is None for v in xy):
                continue
            X.append(tok[g])
            Y.append([c for v in xy for c in v])
    return np.array(X), np.array(Y)


def main():
    cfg = world("mini")
    train_v = videos(cfg, "train", 7, 300)
    test_v = videos(cfg, "labelled", 7, 100)
    out = {"setup": {"train_videos": 300, "test_videos": 100, "frames": IDX, "world": "mini (64x64, plain, 1 object, 11 actions)"}}
    # pixel reference: 16x16 grey-level thumbnails of each frame
    def pix(vs):
        X, Y = [], []
        for frames, truth in vs:
            for i in IDX:
                box = truth["boxes"][i][truth["actor"]]
                if box is None:
                    continue
                X.append(frames[i].reshape(16, 4, 16, 4, 3).mean((1, 3)).reshape(-1))
                Y.append([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])
        return np.array(X, float), np.array(Y, float)
    out["pixels_16x16"] = ridge_fit_eval(*pix(train_v), *pix(test_v))
    Yte = pix(test_v)[1]
    q = (np.floor(Yte / 32) * 32 + 16)
    out["token_cell_quantisation_rmse_px"] = [round(float(v), 2) for v in np.sqrt(((q - Yte) ** 2).mean(0))]
    out["predict_mean_rmse_px"] = [round(float(v), 2) for v in Yte.std(0)]
    print(out, flush=True)
    for fam in FAMILIES4:
        for which in ("base", "fresh"):
            if which == "base":
                llm = load(f"{REPO}/results/bases/mini/{fam}/stage-1/final")
            else:
                llm = tiny(fam, seed=0, **MINI_SIZE)
            llm.model.eval()
            Xtr, Ytr = features(llm, train_v)
            Xte, Yte = features(llm, test_v)
            res = {"n_train_groups": len(Xtr), "n_test_groups": len(Xte), "dims": int(Xtr.shape[1])}
            per = llm.temporal_merge
            if per == 1:
                res["xy"] = ridge_fit_eval(Xtr, Ytr, Xte, Yte)
            else:
                res["xy_first_frame_of_pair"] = ridge_fit_eval(Xtr, Ytr[:, :2], Xte, Yte[:, :2])
                res["xy_second_frame_of_pair"] = ridge_fit_eval(Xtr, Ytr[:, 2:], Xte, Yte[:, 2:])
                d_tr, d_te = Ytr[:, 2:] - Ytr[:, :2], Yte[:, 2:] - Yte[:, :2]
                moving = np.abs(d_te).sum(1) > 0
                res["dxy_inside_pair"] = ridge_fit_eval(Xtr, d_tr, Xte[moving], d_te[moving])
                res["dxy_inside_pair"]["note"] = "test on groups where the object moves inside the pair"
            out[f"{fam}/{which}"] = res
            print(fam, which, res, flush=True)
            save_json(f"{HERE}/probe.json", out)


if __name__ == "__main__":
    main()
