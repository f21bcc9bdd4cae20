"""Re-framings of one real clip that must not change the analysis (issue 9, item 4), made with ffmpeg.

Each variant is the same performance: mirrored, played at half speed (timestamps doubled, same frames),
every other frame dropped, half resolution, the central 70 % cropped, and recorded as a phone does
(pixels turned 90 degrees with a rotation flag that turns them back). EXPECTED gives what a speed must
become (x its factor) and how close it must stay (relative tolerance), as the issue states them.
Used by bench/validity.py and tests/scoring/test_invariance.py; needs the imageio-ffmpeg dev dependency.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

# name -> (ffmpeg arguments between input and output, expected speed factor, relative tolerance)
VARIANTS: dict[str, tuple[list[str], float, float]] = {
    "mirrored": (["-vf", "hflip"], 1.0, 0.10),
    "half_speed": (["-vf", "setpts=2*PTS", "-fps_mode", "passthrough"], 0.5, 0.10),
    "half_frame_rate": (["-vf", "select=not(mod(n\\,2)),setpts=N/(FRAME_RATE/2)/TB", "-fps_mode", "passthrough"],
                        1.0, 0.15),
    "half_resolution": (["-vf", "scale=trunc(iw/4)*2:trunc(ih/4)*2"], 1.0, 0.15),
    "crop_70": (["-vf", "crop=trunc(iw*0.35)*2:trunc(ih*0.35)*2"], 1.0, 0.15),
    "phone_rotated": (["-vf", "transpose=1"], 1.0, 0.10),  # then flagged to display turned back
}


def ffmpeg(*args: str | Path) -> None:
    import imageio_ffmpeg  # dev dependency
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-y", "-loglevel", "error", *map(str, args)]
    done = subprocess.run(cmd, capture_output=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"ffmpeg failed: {done.stderr.decode(errors='replace')[-1500:]}")


def make_variant(source: Path, name: str, out_dir: Path) -> Path:
    """Write variant `name` of source into out_dir (H.264, near-lossless, no audio) and return its path."""
    args, _, _ = VARIANTS[name]
    out = out_dir / f"{source.stem}.{name}.mp4"
    encode = ["-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "12", "-pix_fmt", "yuv420p", "-threads", "1"]  # one thread: bit-exact
    if name == "phone_rotated":
        turned = out_dir / f"{source.stem}.turned.mp4"
        ffmpeg("-i", source, *args, *encode, turned)
        # The display matrix turns the pixels back (counter-clockwise 90), as a phone held upright records.
        ffmpeg("-display_rotation:v", "90", "-i", turned, "-c", "copy", out)
    else:
        ffmpeg("-i", source, *args, *encode, out)
    return out
