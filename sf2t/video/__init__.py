"""The video layer, the bottom of the pipeline: files become frames (`decode`: decord first, PyAV as
the fallback, one `VideoError` naming the file and the reason, size limits `MAX_FRAME_PIXELS` and
`MAX_DECODED_BYTES`), frames are chosen by named rules
(`sampling`), and a record's exact frames are rebuilt from its indices and pixel edits
(`transforms`). `samples` finds real sample videos for tests and notebooks. It imports only
`sf2t.common`; nothing above it (world, tasks, benchmark, models, training, evaluation, reports).
"""

from sf2t.video.decode import (
    BACKENDS,
    MAX_DECODED_BYTES,
    MAX_FRAME_PIXELS,
    Clip,
    VideoError,
    VideoInfo,
    _decord_available,
    load_clip,
    probe,
    read_frames,
)
from sf2t.video.sampling import PLAYBACK_SPEEDS, SAMPLING_RULES, fps_indices, sample_indices, speed_indices

__all__ = [
    "BACKENDS",
    "MAX_DECODED_BYTES",
    "MAX_FRAME_PIXELS",
    "PLAYBACK_SPEEDS",
    "SAMPLING_RULES",
    "Clip",
    "VideoError",
    "VideoInfo",
    "fps_indices",
    "load_clip",
    "probe",
    "read_frames",
    "sample_indices",
    "speed_indices",
    "_decord_available",
]
