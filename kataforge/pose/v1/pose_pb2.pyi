from kataforge.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LiveOptions(_message.Message):
    __slots__ = ("smoothing",)
    SMOOTHING_FIELD_NUMBER: _ClassVar[int]
    smoothing: str
    def __init__(self, smoothing: _Optional[str] = ...) -> None: ...

class RawImage(_message.Message):
    __slots__ = ("width", "height", "format", "data")
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    width: int
    height: int
    format: str
    data: bytes
    def __init__(self, width: _Optional[int] = ..., height: _Optional[int] = ..., format: _Optional[str] = ..., data: _Optional[bytes] = ...) -> None: ...

class LiveFrame(_message.Message):
    __slots__ = ("timestamp_ms", "encoded", "raw", "sequence", "options")
    TIMESTAMP_MS_FIELD_NUMBER: _ClassVar[int]
    ENCODED_FIELD_NUMBER: _ClassVar[int]
    RAW_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    timestamp_ms: float
    encoded: bytes
    raw: RawImage
    sequence: int
    options: LiveOptions
    def __init__(self, timestamp_ms: _Optional[float] = ..., encoded: _Optional[bytes] = ..., raw: _Optional[_Union[RawImage, _Mapping]] = ..., sequence: _Optional[int] = ..., options: _Optional[_Union[LiveOptions, _Mapping]] = ...) -> None: ...

class LivePose(_message.Message):
    __slots__ = ("sequence", "timestamp_ms", "detected", "landmarks", "people_seen", "dropped_frames", "processing_ms", "width", "height")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_MS_FIELD_NUMBER: _ClassVar[int]
    DETECTED_FIELD_NUMBER: _ClassVar[int]
    LANDMARKS_FIELD_NUMBER: _ClassVar[int]
    PEOPLE_SEEN_FIELD_NUMBER: _ClassVar[int]
    DROPPED_FRAMES_FIELD_NUMBER: _ClassVar[int]
    PROCESSING_MS_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    timestamp_ms: float
    detected: bool
    landmarks: _containers.RepeatedCompositeFieldContainer[_common_pb2.Landmark]
    people_seen: int
    dropped_frames: int
    processing_ms: float
    width: int
    height: int
    def __init__(self, sequence: _Optional[int] = ..., timestamp_ms: _Optional[float] = ..., detected: _Optional[bool] = ..., landmarks: _Optional[_Iterable[_Union[_common_pb2.Landmark, _Mapping]]] = ..., people_seen: _Optional[int] = ..., dropped_frames: _Optional[int] = ..., processing_ms: _Optional[float] = ..., width: _Optional[int] = ..., height: _Optional[int] = ...) -> None: ...

class VideoHeader(_message.Message):
    __slots__ = ("filename", "content_type", "frame_stride", "source_url")
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    FRAME_STRIDE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_URL_FIELD_NUMBER: _ClassVar[int]
    filename: str
    content_type: str
    frame_stride: int
    source_url: str
    def __init__(self, filename: _Optional[str] = ..., content_type: _Optional[str] = ..., frame_stride: _Optional[int] = ..., source_url: _Optional[str] = ...) -> None: ...

class ExtractPosesChunk(_message.Message):
    __slots__ = ("header", "data")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    header: VideoHeader
    data: bytes
    def __init__(self, header: _Optional[_Union[VideoHeader, _Mapping]] = ..., data: _Optional[bytes] = ...) -> None: ...

class ExtractionProgress(_message.Message):
    __slots__ = ("frames_done", "frames_total")
    FRAMES_DONE_FIELD_NUMBER: _ClassVar[int]
    FRAMES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    frames_done: int
    frames_total: int
    def __init__(self, frames_done: _Optional[int] = ..., frames_total: _Optional[int] = ...) -> None: ...

class ExtractionEvent(_message.Message):
    __slots__ = ("progress", "result")
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    progress: ExtractionProgress
    result: _common_pb2.PoseSequence
    def __init__(self, progress: _Optional[_Union[ExtractionProgress, _Mapping]] = ..., result: _Optional[_Union[_common_pb2.PoseSequence, _Mapping]] = ...) -> None: ...

class GetInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PoseInfo(_message.Message):
    __slots__ = ("model", "model_loaded", "delegate", "gpu_available", "live_streams", "max_live_streams")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    MODEL_LOADED_FIELD_NUMBER: _ClassVar[int]
    DELEGATE_FIELD_NUMBER: _ClassVar[int]
    GPU_AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    LIVE_STREAMS_FIELD_NUMBER: _ClassVar[int]
    MAX_LIVE_STREAMS_FIELD_NUMBER: _ClassVar[int]
    model: str
    model_loaded: bool
    delegate: str
    gpu_available: bool
    live_streams: int
    max_live_streams: int
    def __init__(self, model: _Optional[str] = ..., model_loaded: _Optional[bool] = ..., delegate: _Optional[str] = ..., gpu_available: _Optional[bool] = ..., live_streams: _Optional[int] = ..., max_live_streams: _Optional[int] = ...) -> None: ...
