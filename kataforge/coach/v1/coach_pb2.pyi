import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from kataforge.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Coach(_message.Message):
    __slots__ = ("id", "name", "style", "rank", "years_experience", "teachers", "techniques", "teaching_philosophy", "created_at", "updated_at", "owner_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STYLE_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    YEARS_EXPERIENCE_FIELD_NUMBER: _ClassVar[int]
    TEACHERS_FIELD_NUMBER: _ClassVar[int]
    TECHNIQUES_FIELD_NUMBER: _ClassVar[int]
    TEACHING_PHILOSOPHY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    style: str
    rank: str
    years_experience: int
    teachers: _containers.RepeatedScalarFieldContainer[str]
    techniques: _containers.RepeatedScalarFieldContainer[str]
    teaching_philosophy: _struct_pb2.Struct
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    owner_id: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., style: _Optional[str] = ..., rank: _Optional[str] = ..., years_experience: _Optional[int] = ..., teachers: _Optional[_Iterable[str]] = ..., techniques: _Optional[_Iterable[str]] = ..., teaching_philosophy: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., owner_id: _Optional[str] = ...) -> None: ...

class ListCoachesRequest(_message.Message):
    __slots__ = ("limit", "offset")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    limit: int
    offset: int
    def __init__(self, limit: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class ListCoachesResponse(_message.Message):
    __slots__ = ("coaches", "total")
    COACHES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    coaches: _containers.RepeatedCompositeFieldContainer[Coach]
    total: int
    def __init__(self, coaches: _Optional[_Iterable[_Union[Coach, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...

class GetCoachRequest(_message.Message):
    __slots__ = ("coach_id",)
    COACH_ID_FIELD_NUMBER: _ClassVar[int]
    coach_id: str
    def __init__(self, coach_id: _Optional[str] = ...) -> None: ...

class CreateCoachRequest(_message.Message):
    __slots__ = ("coach",)
    COACH_FIELD_NUMBER: _ClassVar[int]
    coach: Coach
    def __init__(self, coach: _Optional[_Union[Coach, _Mapping]] = ...) -> None: ...

class UpdateCoachRequest(_message.Message):
    __slots__ = ("coach_id", "coach", "update_mask")
    COACH_ID_FIELD_NUMBER: _ClassVar[int]
    COACH_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    coach_id: str
    coach: Coach
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, coach_id: _Optional[str] = ..., coach: _Optional[_Union[Coach, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class DeleteCoachRequest(_message.Message):
    __slots__ = ("coach_id",)
    COACH_ID_FIELD_NUMBER: _ClassVar[int]
    coach_id: str
    def __init__(self, coach_id: _Optional[str] = ...) -> None: ...

class DeleteCoachResponse(_message.Message):
    __slots__ = ("success", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class Reference(_message.Message):
    __slots__ = ("id", "coach_id", "technique", "name", "source", "fps", "frame_count", "detected_frames", "duration_ms", "body_mass_kg", "created_by", "created_at", "pose_sequence")
    ID_FIELD_NUMBER: _ClassVar[int]
    COACH_ID_FIELD_NUMBER: _ClassVar[int]
    TECHNIQUE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    FPS_FIELD_NUMBER: _ClassVar[int]
    FRAME_COUNT_FIELD_NUMBER: _ClassVar[int]
    DETECTED_FRAMES_FIELD_NUMBER: _ClassVar[int]
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    BODY_MASS_KG_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    POSE_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    id: str
    coach_id: str
    technique: str
    name: str
    source: str
    fps: float
    frame_count: int
    detected_frames: int
    duration_ms: float
    body_mass_kg: float
    created_by: str
    created_at: _timestamp_pb2.Timestamp
    pose_sequence: _common_pb2.PoseSequence
    def __init__(self, id: _Optional[str] = ..., coach_id: _Optional[str] = ..., technique: _Optional[str] = ..., name: _Optional[str] = ..., source: _Optional[str] = ..., fps: _Optional[float] = ..., frame_count: _Optional[int] = ..., detected_frames: _Optional[int] = ..., duration_ms: _Optional[float] = ..., body_mass_kg: _Optional[float] = ..., created_by: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., pose_sequence: _Optional[_Union[_common_pb2.PoseSequence, _Mapping]] = ...) -> None: ...

class AddReferenceRequest(_message.Message):
    __slots__ = ("coach_id", "technique", "name", "body_mass_kg", "video_url", "pose_sequence", "video_label")
    COACH_ID_FIELD_NUMBER: _ClassVar[int]
    TECHNIQUE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    BODY_MASS_KG_FIELD_NUMBER: _ClassVar[int]
    VIDEO_URL_FIELD_NUMBER: _ClassVar[int]
    POSE_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    VIDEO_LABEL_FIELD_NUMBER: _ClassVar[int]
    coach_id: str
    technique: str
    name: str
    body_mass_kg: float
    video_url: str
    pose_sequence: _common_pb2.PoseSequence
    video_label: str
    def __init__(self, coach_id: _Optional[str] = ..., technique: _Optional[str] = ..., name: _Optional[str] = ..., body_mass_kg: _Optional[float] = ..., video_url: _Optional[str] = ..., pose_sequence: _Optional[_Union[_common_pb2.PoseSequence, _Mapping]] = ..., video_label: _Optional[str] = ...) -> None: ...

class AddReferenceUploadChunk(_message.Message):
    __slots__ = ("request", "data")
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    request: AddReferenceRequest
    data: bytes
    def __init__(self, request: _Optional[_Union[AddReferenceRequest, _Mapping]] = ..., data: _Optional[bytes] = ...) -> None: ...

class ListReferencesRequest(_message.Message):
    __slots__ = ("coach_id", "technique", "limit", "offset")
    COACH_ID_FIELD_NUMBER: _ClassVar[int]
    TECHNIQUE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    coach_id: str
    technique: str
    limit: int
    offset: int
    def __init__(self, coach_id: _Optional[str] = ..., technique: _Optional[str] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class ListReferencesResponse(_message.Message):
    __slots__ = ("references", "total")
    REFERENCES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    references: _containers.RepeatedCompositeFieldContainer[Reference]
    total: int
    def __init__(self, references: _Optional[_Iterable[_Union[Reference, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...

class GetReferenceRequest(_message.Message):
    __slots__ = ("coach_id", "reference_id", "include_poses")
    COACH_ID_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_POSES_FIELD_NUMBER: _ClassVar[int]
    coach_id: str
    reference_id: str
    include_poses: bool
    def __init__(self, coach_id: _Optional[str] = ..., reference_id: _Optional[str] = ..., include_poses: _Optional[bool] = ...) -> None: ...

class DeleteReferenceRequest(_message.Message):
    __slots__ = ("coach_id", "reference_id")
    COACH_ID_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_ID_FIELD_NUMBER: _ClassVar[int]
    coach_id: str
    reference_id: str
    def __init__(self, coach_id: _Optional[str] = ..., reference_id: _Optional[str] = ...) -> None: ...

class DeleteReferenceResponse(_message.Message):
    __slots__ = ("success", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...
