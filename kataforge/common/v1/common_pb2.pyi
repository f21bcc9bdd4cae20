from google.protobuf import descriptor_pb2 as _descriptor_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
SUCCESS_STATUS_FIELD_NUMBER: _ClassVar[int]
success_status: _descriptor.FieldDescriptor

class Landmark(_message.Message):
    __slots__ = ("x", "y", "z", "wx", "wy", "wz", "visibility", "presence", "tracker_spread_px")
    X_FIELD_NUMBER: _ClassVar[int]
    Y_FIELD_NUMBER: _ClassVar[int]
    Z_FIELD_NUMBER: _ClassVar[int]
    WX_FIELD_NUMBER: _ClassVar[int]
    WY_FIELD_NUMBER: _ClassVar[int]
    WZ_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    PRESENCE_FIELD_NUMBER: _ClassVar[int]
    TRACKER_SPREAD_PX_FIELD_NUMBER: _ClassVar[int]
    x: float
    y: float
    z: float
    wx: float
    wy: float
    wz: float
    visibility: float
    presence: float
    tracker_spread_px: float
    def __init__(self, x: _Optional[float] = ..., y: _Optional[float] = ..., z: _Optional[float] = ..., wx: _Optional[float] = ..., wy: _Optional[float] = ..., wz: _Optional[float] = ..., visibility: _Optional[float] = ..., presence: _Optional[float] = ..., tracker_spread_px: _Optional[float] = ...) -> None: ...

class PoseFrame(_message.Message):
    __slots__ = ("index", "timestamp_ms", "detected", "landmarks", "filled")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_MS_FIELD_NUMBER: _ClassVar[int]
    DETECTED_FIELD_NUMBER: _ClassVar[int]
    LANDMARKS_FIELD_NUMBER: _ClassVar[int]
    FILLED_FIELD_NUMBER: _ClassVar[int]
    index: int
    timestamp_ms: float
    detected: bool
    landmarks: _containers.RepeatedCompositeFieldContainer[Landmark]
    filled: bool
    def __init__(self, index: _Optional[int] = ..., timestamp_ms: _Optional[float] = ..., detected: _Optional[bool] = ..., landmarks: _Optional[_Iterable[_Union[Landmark, _Mapping]]] = ..., filled: _Optional[bool] = ...) -> None: ...

class PoseSequence(_message.Message):
    __slots__ = ("fps", "width", "height", "frame_count", "duration_ms", "frames", "model", "people_seen", "inference_seconds", "rotation", "smoothing", "rejected_samples", "filled_samples", "signal", "analysed_fps", "rival_prominence")
    FPS_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    FRAME_COUNT_FIELD_NUMBER: _ClassVar[int]
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PEOPLE_SEEN_FIELD_NUMBER: _ClassVar[int]
    INFERENCE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ROTATION_FIELD_NUMBER: _ClassVar[int]
    SMOOTHING_FIELD_NUMBER: _ClassVar[int]
    REJECTED_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    FILLED_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_FIELD_NUMBER: _ClassVar[int]
    ANALYSED_FPS_FIELD_NUMBER: _ClassVar[int]
    RIVAL_PROMINENCE_FIELD_NUMBER: _ClassVar[int]
    fps: float
    width: int
    height: int
    frame_count: int
    duration_ms: float
    frames: _containers.RepeatedCompositeFieldContainer[PoseFrame]
    model: str
    people_seen: int
    inference_seconds: float
    rotation: int
    smoothing: str
    rejected_samples: int
    filled_samples: int
    signal: SignalProcessing
    analysed_fps: float
    rival_prominence: float
    def __init__(self, fps: _Optional[float] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., frame_count: _Optional[int] = ..., duration_ms: _Optional[float] = ..., frames: _Optional[_Iterable[_Union[PoseFrame, _Mapping]]] = ..., model: _Optional[str] = ..., people_seen: _Optional[int] = ..., inference_seconds: _Optional[float] = ..., rotation: _Optional[int] = ..., smoothing: _Optional[str] = ..., rejected_samples: _Optional[int] = ..., filled_samples: _Optional[int] = ..., signal: _Optional[_Union[SignalProcessing, _Mapping]] = ..., analysed_fps: _Optional[float] = ..., rival_prominence: _Optional[float] = ...) -> None: ...

class SignalProcessing(_message.Message):
    __slots__ = ("filter", "cutoff_hz", "implausible_samples", "image_checked")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    CUTOFF_HZ_FIELD_NUMBER: _ClassVar[int]
    IMPLAUSIBLE_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    IMAGE_CHECKED_FIELD_NUMBER: _ClassVar[int]
    filter: str
    cutoff_hz: float
    implausible_samples: int
    image_checked: bool
    def __init__(self, filter: _Optional[str] = ..., cutoff_hz: _Optional[float] = ..., implausible_samples: _Optional[int] = ..., image_checked: _Optional[bool] = ...) -> None: ...
