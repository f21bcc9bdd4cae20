import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AnalyzeRequest(_message.Message):
    __slots__ = ("video_url", "coach", "technique", "llm_backend", "verbose", "device", "body_mass_kg", "video_label")
    VIDEO_URL_FIELD_NUMBER: _ClassVar[int]
    COACH_FIELD_NUMBER: _ClassVar[int]
    TECHNIQUE_FIELD_NUMBER: _ClassVar[int]
    LLM_BACKEND_FIELD_NUMBER: _ClassVar[int]
    VERBOSE_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    BODY_MASS_KG_FIELD_NUMBER: _ClassVar[int]
    VIDEO_LABEL_FIELD_NUMBER: _ClassVar[int]
    video_url: str
    coach: str
    technique: str
    llm_backend: str
    verbose: bool
    device: str
    body_mass_kg: float
    video_label: str
    def __init__(self, video_url: _Optional[str] = ..., coach: _Optional[str] = ..., technique: _Optional[str] = ..., llm_backend: _Optional[str] = ..., verbose: _Optional[bool] = ..., device: _Optional[str] = ..., body_mass_kg: _Optional[float] = ..., video_label: _Optional[str] = ...) -> None: ...

class AnalyzeUploadChunk(_message.Message):
    __slots__ = ("request", "data")
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    request: AnalyzeRequest
    data: bytes
    def __init__(self, request: _Optional[_Union[AnalyzeRequest, _Mapping]] = ..., data: _Optional[bytes] = ...) -> None: ...

class AspectScores(_message.Message):
    __slots__ = ("speed", "force", "timing", "balance", "coordination")
    SPEED_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    TIMING_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    COORDINATION_FIELD_NUMBER: _ClassVar[int]
    speed: float
    force: float
    timing: float
    balance: float
    coordination: float
    def __init__(self, speed: _Optional[float] = ..., force: _Optional[float] = ..., timing: _Optional[float] = ..., balance: _Optional[float] = ..., coordination: _Optional[float] = ...) -> None: ...

class Biomechanics(_message.Message):
    __slots__ = ("max_speed", "peak_force", "mean_power", "kinetic_chain_efficiency")
    MAX_SPEED_FIELD_NUMBER: _ClassVar[int]
    PEAK_FORCE_FIELD_NUMBER: _ClassVar[int]
    MEAN_POWER_FIELD_NUMBER: _ClassVar[int]
    KINETIC_CHAIN_EFFICIENCY_FIELD_NUMBER: _ClassVar[int]
    max_speed: float
    peak_force: float
    mean_power: float
    kinetic_chain_efficiency: float
    def __init__(self, max_speed: _Optional[float] = ..., peak_force: _Optional[float] = ..., mean_power: _Optional[float] = ..., kinetic_chain_efficiency: _Optional[float] = ...) -> None: ...

class Metrics(_message.Message):
    __slots__ = ("overall_score", "aspect_scores", "biomechanics")
    OVERALL_SCORE_FIELD_NUMBER: _ClassVar[int]
    ASPECT_SCORES_FIELD_NUMBER: _ClassVar[int]
    BIOMECHANICS_FIELD_NUMBER: _ClassVar[int]
    overall_score: float
    aspect_scores: AspectScores
    biomechanics: Biomechanics
    def __init__(self, overall_score: _Optional[float] = ..., aspect_scores: _Optional[_Union[AspectScores, _Mapping]] = ..., biomechanics: _Optional[_Union[Biomechanics, _Mapping]] = ...) -> None: ...

class Analysis(_message.Message):
    __slots__ = ("id", "status", "video", "coach", "technique", "timestamp", "metrics", "corrections", "recommendations", "processing_time", "details", "owner_id", "model_timings")
    ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VIDEO_FIELD_NUMBER: _ClassVar[int]
    COACH_FIELD_NUMBER: _ClassVar[int]
    TECHNIQUE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    CORRECTIONS_FIELD_NUMBER: _ClassVar[int]
    RECOMMENDATIONS_FIELD_NUMBER: _ClassVar[int]
    PROCESSING_TIME_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_TIMINGS_FIELD_NUMBER: _ClassVar[int]
    id: str
    status: str
    video: str
    coach: str
    technique: str
    timestamp: _timestamp_pb2.Timestamp
    metrics: Metrics
    corrections: _containers.RepeatedScalarFieldContainer[str]
    recommendations: _containers.RepeatedScalarFieldContainer[str]
    processing_time: float
    details: _struct_pb2.Struct
    owner_id: str
    model_timings: _containers.RepeatedCompositeFieldContainer[ModelTiming]
    def __init__(self, id: _Optional[str] = ..., status: _Optional[str] = ..., video: _Optional[str] = ..., coach: _Optional[str] = ..., technique: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., metrics: _Optional[_Union[Metrics, _Mapping]] = ..., corrections: _Optional[_Iterable[str]] = ..., recommendations: _Optional[_Iterable[str]] = ..., processing_time: _Optional[float] = ..., details: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., owner_id: _Optional[str] = ..., model_timings: _Optional[_Iterable[_Union[ModelTiming, _Mapping]]] = ...) -> None: ...

class ModelTiming(_message.Message):
    __slots__ = ("model", "seconds")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    model: str
    seconds: float
    def __init__(self, model: _Optional[str] = ..., seconds: _Optional[float] = ...) -> None: ...

class GetAnalysisRequest(_message.Message):
    __slots__ = ("analysis_id",)
    ANALYSIS_ID_FIELD_NUMBER: _ClassVar[int]
    analysis_id: str
    def __init__(self, analysis_id: _Optional[str] = ...) -> None: ...

class GetStatsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ScoringStats(_message.Message):
    __slots__ = ("analyses_total",)
    ANALYSES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    analyses_total: int
    def __init__(self, analyses_total: _Optional[int] = ...) -> None: ...
