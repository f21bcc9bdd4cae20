"""The pose worker's side of a video: opened within the job's limits, the frames it wants decoded, read ahead.

Runs inside the sandboxed worker (services.pose.pose_worker): OpenCV's FFmpeg reads our own temporary file only.
"""

from __future__ import annotations

import queue
import threading
from typing import Callable, Iterator

from services.pose.decode_protocol import LaneJob

READ_AHEAD = 4  # decoded frames buffered ahead of inference (memory: 4 x one frame)


class Refused(Exception):
    """The video is unusable; the message tells the user why (becomes InvalidRequest in the parent)."""

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.message, self.detail = message, detail


def open_video(job: LaneJob):
    """The job's video opened for decoding, checked against the job's limits: (capture, fps, width, height,
    declared frame count (0: none), rotation). The caller releases the capture."""
    import cv2
    import numpy as np

    cap = cv2.VideoCapture(job.path, cv2.CAP_FFMPEG, [cv2.CAP_PROP_N_THREADS, 1])
    try:
        if not cap.isOpened():
            raise Refused("The video could not be opened: the file is damaged or incomplete, "
                          "or it holds no video stream (audio only?)", "cannot be decoded")
        fps = cap.get(cv2.CAP_PROP_FPS)
        width, height = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        declared = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        rotation = int(cap.get(cv2.CAP_PROP_ORIENTATION_META) or 0)
        # The same limits as the parent's MP4 header check, for containers it cannot parse itself.
        if width * height > job.max_pixels:
            raise Refused(f"The video's frames are {width}x{height}, more than the {job.max_pixels:,}-pixel "
                          "limit; resize the video (1920x1080 is plenty)", f"{width}x{height} frames")
        if not fps or not np.isfinite(fps) or fps <= 0 or fps > 1000:
            raise Refused("The video does not declare a usable frame rate", f"frame rate {fps!r}")
        frame_count = int(declared) if np.isfinite(declared) and declared > 0 else 0
        if frame_count / fps > job.max_seconds:
            raise Refused(f"The video is {frame_count / fps:.1f} s long; the limit is {job.max_seconds:g} s",
                          f"longer than {job.max_seconds:g} s")
        cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)  # portrait phone video: apply the rotation metadata
    except BaseException:
        cap.release()
        raise
    return cap, fps, width, height, frame_count, rotation


def decode(cap, job: LaneJob, stride: int, trackers: int, fps: float, stats: dict,
           chosen: Callable[[int], bool] | None = None, last: int = -1) -> Iterator[tuple[int, float, object, int]]:
    """(index, presentation time in ms, BGR frame, tracker) of the frames of this worker's trackers, or of the
    frames `chosen` picks (decoding then stops after index `last`). Every frame is decoded (grab: timestamps
    and the decoder's state need them); only the ones wanted are converted."""
    import cv2
    import numpy as np

    period = 1000.0 / fps
    last, index = -np.inf, 0
    while cap.grab():
        ts = cap.get(cv2.CAP_PROP_POS_MSEC)  # the frame's presentation time (variable frame rate)
        ts = ts if np.isfinite(ts) and ts > last else (last + period if np.isfinite(last) else 0.0)
        last = ts
        stats["decoded"], stats["last"] = index + 1, float(ts)
        if ts > job.max_seconds * 1000.0:
            raise Refused(f"The video is longer than the {job.max_seconds:g} s limit",
                          f"longer than {job.max_seconds:g} s")
        tracker = (index // stride) % trackers
        if chosen is not None and index > last:
            return
        if (chosen(index) if chosen is not None else index % stride == 0 and tracker % job.workers == job.worker):
            ok, bgr = cap.retrieve()
            if not ok or bgr is None:
                return
            yield index, float(ts), bgr, tracker
        index += 1


def read_ahead(frames: Iterator, depth: int = READ_AHEAD) -> Iterator:
    """Run `frames` on a thread, `depth` items ahead: FFmpeg decodes (without the GIL) the next
    frames while MediaPipe works on this one. Exceptions are re-raised in the consumer."""
    slots: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def produce() -> None:
        try:
            for item in frames:
                while not stop.is_set():
                    try:
                        slots.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put(end)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            slots.put(exc)

    thread = threading.Thread(target=produce, name="decode-ahead", daemon=True)
    thread.start()
    try:
        while (item := slots.get()) is not end:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5.0)
