from kataforge.common.v1 import common_pb2 as _common_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

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

class GetInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PoseInfo(_message.Message):
    __slots__ = ("model", "model_loaded", "delegate", "gpu_available")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    MODEL_LOADED_FIELD_NUMBER: _ClassVar[int]
    DELEGATE_FIELD_NUMBER: _ClassVar[int]
    GPU_AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    model: str
    model_loaded: bool
    delegate: str
    gpu_available: bool
    def __init__(self, model: _Optional[str] = ..., model_loaded: _Optional[bool] = ..., delegate: _Optional[str] = ..., gpu_available: _Optional[bool] = ...) -> None: ...
