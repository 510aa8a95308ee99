"""(c) How each family's processor turns frames into language-model tokens, at 64² and 112².

For every family and frame side: the processed frame side, patch size, spatial merge/pool,
temporal merge, visual tokens per frame (video input, 8 frames) and per numbered frame (image
input), and how many pixels of the *original* frame one LM token covers. Measured by running
the real processor and counting the visual placeholder tokens in `input_ids`, and by running the
model's own feature function (tokens that actually enter the LM).

Run: PYTHONPATH=. python research/frame_order/processors.py  (writes processors.json)
"""

import numpy as np
import torch

from common import FAMILIES4, HERE, MINI_SIZE, save_json
from sf2t.models import tiny


def count_visual(llm, batch):
    ids = batch["input_ids"][0].tolist()
    cfg = llm.model.config
    want = set()
    for k in ("image_token_id", "video_token_id", "image_token_index", "video_token_index"):
        v = getattr(cfg, k, None)
        if v is not None:
            want.add(v)
    return sum(i in want for i in ids)


def main():
    rows = []
    for side in (64, 112):
        for fam in FAMILIES4:
            llm = tiny(fam, seed=0, **{**MINI_SIZE, "image_size": side})
            rng = np.random.default_rng(0)
            frames = rng.integers(0, 255, size=(8, side, side, 3), dtype=np.uint8)
            vb = llm.encode([frames], ["q"])
            ib = llm.encode([frames[:4]], ["q"], numbered=[True])
            vt, it = count_visual(llm, vb), count_visual(llm, ib)
            row = {"family": fam, "frame_side": side, "video_frames": 8, "video_visual_tokens": vt,
                   "tokens_per_video_frame": vt / 8, "image_frames": 4, "image_visual_tokens": it,
                   "tokens_per_numbered_frame": it / 4}
            pv = vb.get("pixel_values_videos")
            if "video_grid_thw" in vb:  # qwen: pixel_values are flattened patches
                t, h, w = vb["video_grid_thw"][0].tolist()
                vp = llm.processor.video_processor
                row.update(processed_side=h * vp.patch_size, patch=vp.patch_size, spatial_merge=vp.merge_size,
                           temporal_merge=vp.temporal_patch_size, grid_thw=[t, h, w],
                           token_field_px_original=round(vp.patch_size * vp.merge_size * side / (h * vp.patch_size), 2),
                           lm_token_grid=[h // vp.merge_size, w // vp.merge_size])
            else:
                vc = llm.model.config.vision_config
                patch = vc.patch_size
                grid = side // patch
                row.update(processed_side=int(pv.shape[-1]), patch=patch, temporal_merge=1, patch_grid=[grid, grid])
                if fam == "llava_onevision":
                    # video features are bilinearly pooled to ceil(grid/2) per side; images keep the full grid
                    # (anyres with one pinpoint: base + one tile, plus newline tokens)
                    pooled = -(-grid // 2)
                    row.update(spatial_merge="bilinear pool to ceil(g/2) (video only)", lm_token_grid=[pooled, pooled],
                               token_field_px_original=round(side / pooled, 2))
                else:
                    stride = llm.model.config.spatial_pool_stride
                    row.update(spatial_merge=f"avg pool stride {stride} (video only)",
                               lm_token_grid=[grid // stride, grid // stride],
                               token_field_px_original=round(side / (grid // stride), 2))
            with torch.no_grad():
                row["feature_tokens_video"] = int(video_feature_tokens(llm, vb))
            obj = (0.14 * side, 0.22 * side)
            row["object_px_range"] = [round(obj[0], 1), round(obj[1], 1)]
            row["object_share_of_token_field"] = [round(o / row["token_field_px_original"], 2) for o in obj]
            rows.append(row)
            print(row, flush=True)
    save_json(f"{HERE}/processors.json", rows)


def video_feature_tokens(llm, b):
    from common import visual_embeddings
    return visual_embeddings(llm, b).shape[0]


if __name__ == "__main__":
    main()
