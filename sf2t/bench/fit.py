"""Does an item fit its video? Frame indices the file has, and pixel edits whose boxes lie
inside its frames (a paste's source frame too), checked against the file before anything
decodes it, so `sf2t bench validate` names the line of an item that evaluation could not show.

Each video is probed once (header only). An edit is checked by applying the one definition of
it (`sf2t.video.transforms.apply_transform`) to black frames of the video's size, so the check
accepts exactly what evaluation accepts. The loader takes this check as an argument
(``load_bench(..., check=VideoFit(root))``): it never imports decoding itself.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from sf2t.common.records import resolve_under
from sf2t.video import VideoError, VideoInfo, probe
from sf2t.video.transforms import apply_transform


class VideoFit:
    """``VideoFit(root)(item)``: the ways ``item`` does not fit its video under ``root`` (empty
    when it fits). Call it on items that pass `sf2t.bench.item_problems` and whose video exists."""

    def __init__(self, videos_root: str | os.PathLike):
        self.root = videos_root
        self._info: dict[str, VideoInfo | str] = {}

    def _probe(self, video: str) -> VideoInfo | str:
        if video not in self._info:
            try:
                self._info[video] = probe(resolve_under(self.root, video))
            except (VideoError, ValueError, OSError) as exc:
                self._info[video] = f"video {video!r} cannot be read ({exc})"
        return self._info[video]

    def __call__(self, item: dict[str, Any]) -> list[str]:
        info = self._probe(item["video"])
        if isinstance(info, str):
            return [info]
        frames = item["frames"]
        last = max(frames["indices"])
        if last >= info.num_frames:
            return [f"'frames.indices' asks for frame {last}, but {item['video']!r} has {info.num_frames} frames"]
        transform = frames.get("transform")
        if transform is None:
            return []
        donor = None
        if transform.get("kind") == "paste":
            source = transform["source"]
            donor_info = self._probe(source["video"])
            if isinstance(donor_info, str):
                return [f"paste source: {donor_info}"]
            if source["index"] >= donor_info.num_frames:
                return [
                    f"paste source frame {source['index']} is not in {source['video']!r} "
                    f"({donor_info.num_frames} frames)"
                ]
            donor = np.zeros((donor_info.height, donor_info.width, 3), dtype=np.uint8)
        black = np.zeros((len(frames["indices"]), info.height, info.width, 3), dtype=np.uint8)
        try:
            apply_transform(black, transform, self.root, donor_frame=donor)
        except ValueError as exc:
            return [f"'frames.transform' does not fit the {info.width}x{info.height} video: {exc}"]
        return []
