import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
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
