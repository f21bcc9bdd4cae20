import datetime

from google.api import annotations_pb2 as _annotations_pb2
from kataforge.common.v1 import common_pb2 as _common_pb2
from kataforge.pose.v1 import pose_pb2 as _pose_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AnalyzeRequest(_message.Message):
    __slots__ = ("video_url", "coach", "technique", "llm_backend", "verbose", "device", "body_mass_kg", "video_label", "idempotency_key", "request_hash")
    VIDEO_URL_FIELD_NUMBER: _ClassVar[int]
    COACH_FIELD_NUMBER: _ClassVar[int]
    TECHNIQUE_FIELD_NUMBER: _ClassVar[int]
    LLM_BACKEND_FIELD_NUMBER: _ClassVar[int]
    VERBOSE_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    BODY_MASS_KG_FIELD_NUMBER: _ClassVar[int]
    VIDEO_LABEL_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_HASH_FIELD_NUMBER: _ClassVar[int]
    video_url: str
    coach: str
    technique: str
    llm_backend: str
    verbose: bool
    device: str
    body_mass_kg: float
    video_label: str
    idempotency_key: str
    request_hash: str
    def __init__(self, video_url: _Optional[str] = ..., coach: _Optional[str] = ..., technique: _Optional[str] = ..., llm_backend: _Optional[str] = ..., verbose: _Optional[bool] = ..., device: _Optional[str] = ..., body_mass_kg: _Optional[float] = ..., video_label: _Optional[str] = ..., idempotency_key: _Optional[str] = ..., request_hash: _Optional[str] = ...) -> None: ...

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
    __slots__ = ("id", "status", "video", "coach", "technique", "timestamp", "metrics", "corrections", "recommendations", "processing_time", "details", "owner_id", "model_timings", "recognition", "timeline")
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
    RECOGNITION_FIELD_NUMBER: _ClassVar[int]
    TIMELINE_FIELD_NUMBER: _ClassVar[int]
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
    recognition: TechniqueRecognition
    timeline: AnalysisTimeline
    def __init__(self, id: _Optional[str] = ..., status: _Optional[str] = ..., video: _Optional[str] = ..., coach: _Optional[str] = ..., technique: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., metrics: _Optional[_Union[Metrics, _Mapping]] = ..., corrections: _Optional[_Iterable[str]] = ..., recommendations: _Optional[_Iterable[str]] = ..., processing_time: _Optional[float] = ..., details: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., owner_id: _Optional[str] = ..., model_timings: _Optional[_Iterable[_Union[ModelTiming, _Mapping]]] = ..., recognition: _Optional[_Union[TechniqueRecognition, _Mapping]] = ..., timeline: _Optional[_Union[AnalysisTimeline, _Mapping]] = ...) -> None: ...

class AnalysisTimeline(_message.Message):
    __slots__ = ("frame_times_ms", "frames_analysed", "frame_step", "image_size", "landmarks", "series", "repetitions", "correction_times_ms", "reference")
    FRAME_TIMES_MS_FIELD_NUMBER: _ClassVar[int]
    FRAMES_ANALYSED_FIELD_NUMBER: _ClassVar[int]
    FRAME_STEP_FIELD_NUMBER: _ClassVar[int]
    IMAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    LANDMARKS_FIELD_NUMBER: _ClassVar[int]
    SERIES_FIELD_NUMBER: _ClassVar[int]
    REPETITIONS_FIELD_NUMBER: _ClassVar[int]
    CORRECTION_TIMES_MS_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    frame_times_ms: _containers.RepeatedScalarFieldContainer[float]
    frames_analysed: int
    frame_step: int
    image_size: ImageSize
    landmarks: _containers.RepeatedCompositeFieldContainer[FrameLandmarks]
    series: _containers.RepeatedCompositeFieldContainer[TimeSeries]
    repetitions: _containers.RepeatedCompositeFieldContainer[TimelineRepetition]
    correction_times_ms: _containers.RepeatedScalarFieldContainer[float]
    reference: AlignedReference
    def __init__(self, frame_times_ms: _Optional[_Iterable[float]] = ..., frames_analysed: _Optional[int] = ..., frame_step: _Optional[int] = ..., image_size: _Optional[_Union[ImageSize, _Mapping]] = ..., landmarks: _Optional[_Iterable[_Union[FrameLandmarks, _Mapping]]] = ..., series: _Optional[_Iterable[_Union[TimeSeries, _Mapping]]] = ..., repetitions: _Optional[_Iterable[_Union[TimelineRepetition, _Mapping]]] = ..., correction_times_ms: _Optional[_Iterable[float]] = ..., reference: _Optional[_Union[AlignedReference, _Mapping]] = ...) -> None: ...

class ImageSize(_message.Message):
    __slots__ = ("width", "height")
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    width: int
    height: int
    def __init__(self, width: _Optional[int] = ..., height: _Optional[int] = ...) -> None: ...

class FrameLandmarks(_message.Message):
    __slots__ = ("points",)
    POINTS_FIELD_NUMBER: _ClassVar[int]
    points: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, points: _Optional[_Iterable[float]] = ...) -> None: ...

class TimeSeries(_message.Message):
    __slots__ = ("name", "unit", "values", "description")
    NAME_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    unit: str
    values: _containers.RepeatedScalarFieldContainer[float]
    description: str
    def __init__(self, name: _Optional[str] = ..., unit: _Optional[str] = ..., values: _Optional[_Iterable[float]] = ..., description: _Optional[str] = ...) -> None: ...

class TimelinePhase(_message.Message):
    __slots__ = ("name", "start_ms", "end_ms")
    NAME_FIELD_NUMBER: _ClassVar[int]
    START_MS_FIELD_NUMBER: _ClassVar[int]
    END_MS_FIELD_NUMBER: _ClassVar[int]
    name: str
    start_ms: float
    end_ms: float
    def __init__(self, name: _Optional[str] = ..., start_ms: _Optional[float] = ..., end_ms: _Optional[float] = ...) -> None: ...

class TimelineRepetition(_message.Message):
    __slots__ = ("index", "start_ms", "end_ms", "peak_ms", "effector", "phases", "peak_speed_m_s", "held")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    START_MS_FIELD_NUMBER: _ClassVar[int]
    END_MS_FIELD_NUMBER: _ClassVar[int]
    PEAK_MS_FIELD_NUMBER: _ClassVar[int]
    EFFECTOR_FIELD_NUMBER: _ClassVar[int]
    PHASES_FIELD_NUMBER: _ClassVar[int]
    PEAK_SPEED_M_S_FIELD_NUMBER: _ClassVar[int]
    HELD_FIELD_NUMBER: _ClassVar[int]
    index: int
    start_ms: float
    end_ms: float
    peak_ms: float
    effector: str
    phases: _containers.RepeatedCompositeFieldContainer[TimelinePhase]
    peak_speed_m_s: float
    held: bool
    def __init__(self, index: _Optional[int] = ..., start_ms: _Optional[float] = ..., end_ms: _Optional[float] = ..., peak_ms: _Optional[float] = ..., effector: _Optional[str] = ..., phases: _Optional[_Iterable[_Union[TimelinePhase, _Mapping]]] = ..., peak_speed_m_s: _Optional[float] = ..., held: _Optional[bool] = ...) -> None: ...

class FramePair(_message.Message):
    __slots__ = ("frame", "reference_frame")
    FRAME_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FRAME_FIELD_NUMBER: _ClassVar[int]
    frame: int
    reference_frame: int
    def __init__(self, frame: _Optional[int] = ..., reference_frame: _Optional[int] = ...) -> None: ...

class ReferenceMatch(_message.Message):
    __slots__ = ("index", "reference_index", "mirrored", "similarity_pct")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_INDEX_FIELD_NUMBER: _ClassVar[int]
    MIRRORED_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_PCT_FIELD_NUMBER: _ClassVar[int]
    index: int
    reference_index: int
    mirrored: bool
    similarity_pct: float
    def __init__(self, index: _Optional[int] = ..., reference_index: _Optional[int] = ..., mirrored: _Optional[bool] = ..., similarity_pct: _Optional[float] = ...) -> None: ...

class AlignedReference(_message.Message):
    __slots__ = ("reference_id", "technique", "landmarks", "series", "alignment", "aligned", "image_size", "frame_times_ms", "repetitions")
    REFERENCE_ID_FIELD_NUMBER: _ClassVar[int]
    TECHNIQUE_FIELD_NUMBER: _ClassVar[int]
    LANDMARKS_FIELD_NUMBER: _ClassVar[int]
    SERIES_FIELD_NUMBER: _ClassVar[int]
    ALIGNMENT_FIELD_NUMBER: _ClassVar[int]
    ALIGNED_FIELD_NUMBER: _ClassVar[int]
    IMAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    FRAME_TIMES_MS_FIELD_NUMBER: _ClassVar[int]
    REPETITIONS_FIELD_NUMBER: _ClassVar[int]
    reference_id: str
    technique: str
    landmarks: _containers.RepeatedCompositeFieldContainer[FrameLandmarks]
    series: _containers.RepeatedCompositeFieldContainer[TimeSeries]
    alignment: _containers.RepeatedCompositeFieldContainer[FramePair]
    aligned: _containers.RepeatedScalarFieldContainer[bool]
    image_size: ImageSize
    frame_times_ms: _containers.RepeatedScalarFieldContainer[float]
    repetitions: _containers.RepeatedCompositeFieldContainer[ReferenceMatch]
    def __init__(self, reference_id: _Optional[str] = ..., technique: _Optional[str] = ..., landmarks: _Optional[_Iterable[_Union[FrameLandmarks, _Mapping]]] = ..., series: _Optional[_Iterable[_Union[TimeSeries, _Mapping]]] = ..., alignment: _Optional[_Iterable[_Union[FramePair, _Mapping]]] = ..., aligned: _Optional[_Iterable[bool]] = ..., image_size: _Optional[_Union[ImageSize, _Mapping]] = ..., frame_times_ms: _Optional[_Iterable[float]] = ..., repetitions: _Optional[_Iterable[_Union[ReferenceMatch, _Mapping]]] = ...) -> None: ...

class TechniqueRecognition(_message.Message):
    __slots__ = ("technique", "confidence", "model", "alternatives", "accepted", "score", "threshold", "calibrated", "best_guess", "not_a_technique", "note")
    TECHNIQUE_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    ALTERNATIVES_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    CALIBRATED_FIELD_NUMBER: _ClassVar[int]
    BEST_GUESS_FIELD_NUMBER: _ClassVar[int]
    NOT_A_TECHNIQUE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    technique: str
    confidence: float
    model: str
    alternatives: _containers.RepeatedCompositeFieldContainer[TechniqueAlternative]
    accepted: bool
    score: float
    threshold: float
    calibrated: bool
    best_guess: str
    not_a_technique: float
    note: str
    def __init__(self, technique: _Optional[str] = ..., confidence: _Optional[float] = ..., model: _Optional[str] = ..., alternatives: _Optional[_Iterable[_Union[TechniqueAlternative, _Mapping]]] = ..., accepted: _Optional[bool] = ..., score: _Optional[float] = ..., threshold: _Optional[float] = ..., calibrated: _Optional[bool] = ..., best_guess: _Optional[str] = ..., not_a_technique: _Optional[float] = ..., note: _Optional[str] = ...) -> None: ...

class TechniqueAlternative(_message.Message):
    __slots__ = ("technique", "confidence")
    TECHNIQUE_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    technique: str
    confidence: float
    def __init__(self, technique: _Optional[str] = ..., confidence: _Optional[float] = ...) -> None: ...

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
    __slots__ = ("analyses_total", "models_loaded")
    ANALYSES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    MODELS_LOADED_FIELD_NUMBER: _ClassVar[int]
    analyses_total: int
    models_loaded: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, analyses_total: _Optional[int] = ..., models_loaded: _Optional[_Iterable[str]] = ...) -> None: ...

class ListModelsRequest(_message.Message):
    __slots__ = ("coach",)
    COACH_FIELD_NUMBER: _ClassVar[int]
    coach: str
    def __init__(self, coach: _Optional[str] = ...) -> None: ...

class ModelInfo(_message.Message):
    __slots__ = ("name", "type", "version", "description", "input_dim", "output_dim", "hidden_dim", "layers", "lstm_units", "lstm_layers", "attention_heads", "output_aspects", "accuracy", "created_at", "updated_at", "coach", "training_id", "classes", "embedding_dim", "open_set")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    INPUT_DIM_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_DIM_FIELD_NUMBER: _ClassVar[int]
    HIDDEN_DIM_FIELD_NUMBER: _ClassVar[int]
    LAYERS_FIELD_NUMBER: _ClassVar[int]
    LSTM_UNITS_FIELD_NUMBER: _ClassVar[int]
    LSTM_LAYERS_FIELD_NUMBER: _ClassVar[int]
    ATTENTION_HEADS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_ASPECTS_FIELD_NUMBER: _ClassVar[int]
    ACCURACY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    COACH_FIELD_NUMBER: _ClassVar[int]
    TRAINING_ID_FIELD_NUMBER: _ClassVar[int]
    CLASSES_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_DIM_FIELD_NUMBER: _ClassVar[int]
    OPEN_SET_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: str
    version: str
    description: str
    input_dim: int
    output_dim: int
    hidden_dim: int
    layers: int
    lstm_units: int
    lstm_layers: int
    attention_heads: int
    output_aspects: int
    accuracy: float
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    coach: str
    training_id: str
    classes: _containers.RepeatedScalarFieldContainer[str]
    embedding_dim: int
    open_set: OpenSetRates
    def __init__(self, name: _Optional[str] = ..., type: _Optional[str] = ..., version: _Optional[str] = ..., description: _Optional[str] = ..., input_dim: _Optional[int] = ..., output_dim: _Optional[int] = ..., hidden_dim: _Optional[int] = ..., layers: _Optional[int] = ..., lstm_units: _Optional[int] = ..., lstm_layers: _Optional[int] = ..., attention_heads: _Optional[int] = ..., output_aspects: _Optional[int] = ..., accuracy: _Optional[float] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., coach: _Optional[str] = ..., training_id: _Optional[str] = ..., classes: _Optional[_Iterable[str]] = ..., embedding_dim: _Optional[int] = ..., open_set: _Optional[_Union[OpenSetRates, _Mapping]] = ...) -> None: ...

class OpenSetRates(_message.Message):
    __slots__ = ("true_positive_rate", "false_positive_rate", "threshold", "threshold_rule", "technique_views", "non_technique_views", "technique_sources", "non_technique_sources", "video_like_accuracy", "background_class", "accepted_rate")
    TRUE_POSITIVE_RATE_FIELD_NUMBER: _ClassVar[int]
    FALSE_POSITIVE_RATE_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_RULE_FIELD_NUMBER: _ClassVar[int]
    TECHNIQUE_VIEWS_FIELD_NUMBER: _ClassVar[int]
    NON_TECHNIQUE_VIEWS_FIELD_NUMBER: _ClassVar[int]
    TECHNIQUE_SOURCES_FIELD_NUMBER: _ClassVar[int]
    NON_TECHNIQUE_SOURCES_FIELD_NUMBER: _ClassVar[int]
    VIDEO_LIKE_ACCURACY_FIELD_NUMBER: _ClassVar[int]
    BACKGROUND_CLASS_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_RATE_FIELD_NUMBER: _ClassVar[int]
    true_positive_rate: float
    false_positive_rate: float
    threshold: float
    threshold_rule: str
    technique_views: int
    non_technique_views: int
    technique_sources: int
    non_technique_sources: int
    video_like_accuracy: float
    background_class: str
    accepted_rate: float
    def __init__(self, true_positive_rate: _Optional[float] = ..., false_positive_rate: _Optional[float] = ..., threshold: _Optional[float] = ..., threshold_rule: _Optional[str] = ..., technique_views: _Optional[int] = ..., non_technique_views: _Optional[int] = ..., technique_sources: _Optional[int] = ..., non_technique_sources: _Optional[int] = ..., video_like_accuracy: _Optional[float] = ..., background_class: _Optional[str] = ..., accepted_rate: _Optional[float] = ...) -> None: ...

class ListModelsResponse(_message.Message):
    __slots__ = ("models", "total")
    MODELS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedCompositeFieldContainer[ModelInfo]
    total: int
    def __init__(self, models: _Optional[_Iterable[_Union[ModelInfo, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...

class StartTrainingRequest(_message.Message):
    __slots__ = ("model_type", "coach", "data_dir", "epochs", "batch_size", "learning_rate", "device", "checkpoint_dir", "resume_from")
    MODEL_TYPE_FIELD_NUMBER: _ClassVar[int]
    COACH_FIELD_NUMBER: _ClassVar[int]
    DATA_DIR_FIELD_NUMBER: _ClassVar[int]
    EPOCHS_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    LEARNING_RATE_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_DIR_FIELD_NUMBER: _ClassVar[int]
    RESUME_FROM_FIELD_NUMBER: _ClassVar[int]
    model_type: str
    coach: str
    data_dir: str
    epochs: int
    batch_size: int
    learning_rate: float
    device: str
    checkpoint_dir: str
    resume_from: str
    def __init__(self, model_type: _Optional[str] = ..., coach: _Optional[str] = ..., data_dir: _Optional[str] = ..., epochs: _Optional[int] = ..., batch_size: _Optional[int] = ..., learning_rate: _Optional[float] = ..., device: _Optional[str] = ..., checkpoint_dir: _Optional[str] = ..., resume_from: _Optional[str] = ...) -> None: ...

class GetTrainingRequest(_message.Message):
    __slots__ = ("training_id",)
    TRAINING_ID_FIELD_NUMBER: _ClassVar[int]
    training_id: str
    def __init__(self, training_id: _Optional[str] = ...) -> None: ...

class CancelTrainingRequest(_message.Message):
    __slots__ = ("training_id",)
    TRAINING_ID_FIELD_NUMBER: _ClassVar[int]
    training_id: str
    def __init__(self, training_id: _Optional[str] = ...) -> None: ...

class TrainingEvent(_message.Message):
    __slots__ = ("job", "epoch")
    JOB_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    job: TrainingJob
    epoch: TrainingProgress
    def __init__(self, job: _Optional[_Union[TrainingJob, _Mapping]] = ..., epoch: _Optional[_Union[TrainingProgress, _Mapping]] = ...) -> None: ...

class TrainingProgress(_message.Message):
    __slots__ = ("current_epoch", "total_epochs", "train_loss", "val_loss", "val_accuracy", "best_accuracy")
    CURRENT_EPOCH_FIELD_NUMBER: _ClassVar[int]
    TOTAL_EPOCHS_FIELD_NUMBER: _ClassVar[int]
    TRAIN_LOSS_FIELD_NUMBER: _ClassVar[int]
    VAL_LOSS_FIELD_NUMBER: _ClassVar[int]
    VAL_ACCURACY_FIELD_NUMBER: _ClassVar[int]
    BEST_ACCURACY_FIELD_NUMBER: _ClassVar[int]
    current_epoch: int
    total_epochs: int
    train_loss: float
    val_loss: float
    val_accuracy: float
    best_accuracy: float
    def __init__(self, current_epoch: _Optional[int] = ..., total_epochs: _Optional[int] = ..., train_loss: _Optional[float] = ..., val_loss: _Optional[float] = ..., val_accuracy: _Optional[float] = ..., best_accuracy: _Optional[float] = ...) -> None: ...

class TrainingLog(_message.Message):
    __slots__ = ("timestamp", "message", "level")
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    timestamp: _timestamp_pb2.Timestamp
    message: str
    level: str
    def __init__(self, timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., message: _Optional[str] = ..., level: _Optional[str] = ...) -> None: ...

class TrainingJob(_message.Message):
    __slots__ = ("training_id", "status", "model_type", "coach", "epochs", "batch_size", "learning_rate", "device", "data_dir", "checkpoint_dir", "resume_from", "progress", "created_at", "started_at", "estimated_completion", "completed_at", "logs", "error", "model_version", "owner_id")
    TRAINING_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MODEL_TYPE_FIELD_NUMBER: _ClassVar[int]
    COACH_FIELD_NUMBER: _ClassVar[int]
    EPOCHS_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    LEARNING_RATE_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    DATA_DIR_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_DIR_FIELD_NUMBER: _ClassVar[int]
    RESUME_FROM_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_COMPLETION_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    LOGS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    training_id: str
    status: str
    model_type: str
    coach: str
    epochs: int
    batch_size: int
    learning_rate: float
    device: str
    data_dir: str
    checkpoint_dir: str
    resume_from: str
    progress: TrainingProgress
    created_at: _timestamp_pb2.Timestamp
    started_at: _timestamp_pb2.Timestamp
    estimated_completion: _timestamp_pb2.Timestamp
    completed_at: _timestamp_pb2.Timestamp
    logs: _containers.RepeatedCompositeFieldContainer[TrainingLog]
    error: str
    model_version: str
    owner_id: str
    def __init__(self, training_id: _Optional[str] = ..., status: _Optional[str] = ..., model_type: _Optional[str] = ..., coach: _Optional[str] = ..., epochs: _Optional[int] = ..., batch_size: _Optional[int] = ..., learning_rate: _Optional[float] = ..., device: _Optional[str] = ..., data_dir: _Optional[str] = ..., checkpoint_dir: _Optional[str] = ..., resume_from: _Optional[str] = ..., progress: _Optional[_Union[TrainingProgress, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., estimated_completion: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., logs: _Optional[_Iterable[_Union[TrainingLog, _Mapping]]] = ..., error: _Optional[str] = ..., model_version: _Optional[str] = ..., owner_id: _Optional[str] = ...) -> None: ...

class BatchVideo(_message.Message):
    __slots__ = ("url", "coach", "technique", "metadata")
    URL_FIELD_NUMBER: _ClassVar[int]
    COACH_FIELD_NUMBER: _ClassVar[int]
    TECHNIQUE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    url: str
    coach: str
    technique: str
    metadata: _struct_pb2.Struct
    def __init__(self, url: _Optional[str] = ..., coach: _Optional[str] = ..., technique: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class BatchAnalyzeRequest(_message.Message):
    __slots__ = ("videos", "parallel", "max_workers", "device", "body_mass_kg")
    VIDEOS_FIELD_NUMBER: _ClassVar[int]
    PARALLEL_FIELD_NUMBER: _ClassVar[int]
    MAX_WORKERS_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    BODY_MASS_KG_FIELD_NUMBER: _ClassVar[int]
    videos: _containers.RepeatedCompositeFieldContainer[BatchVideo]
    parallel: bool
    max_workers: int
    device: str
    body_mass_kg: float
    def __init__(self, videos: _Optional[_Iterable[_Union[BatchVideo, _Mapping]]] = ..., parallel: _Optional[bool] = ..., max_workers: _Optional[int] = ..., device: _Optional[str] = ..., body_mass_kg: _Optional[float] = ...) -> None: ...

class BatchResult(_message.Message):
    __slots__ = ("video", "analysis_id", "status", "score", "processing_time", "error", "metadata")
    VIDEO_FIELD_NUMBER: _ClassVar[int]
    ANALYSIS_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    PROCESSING_TIME_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    video: str
    analysis_id: str
    status: str
    score: float
    processing_time: float
    error: _struct_pb2.Struct
    metadata: _struct_pb2.Struct
    def __init__(self, video: _Optional[str] = ..., analysis_id: _Optional[str] = ..., status: _Optional[str] = ..., score: _Optional[float] = ..., processing_time: _Optional[float] = ..., error: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class BatchSummary(_message.Message):
    __slots__ = ("total_videos", "completed", "failed", "avg_score", "total_time")
    TOTAL_VIDEOS_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    AVG_SCORE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TIME_FIELD_NUMBER: _ClassVar[int]
    total_videos: int
    completed: int
    failed: int
    avg_score: float
    total_time: float
    def __init__(self, total_videos: _Optional[int] = ..., completed: _Optional[int] = ..., failed: _Optional[int] = ..., avg_score: _Optional[float] = ..., total_time: _Optional[float] = ...) -> None: ...

class BatchAnalyzeResponse(_message.Message):
    __slots__ = ("batch_id", "status", "results", "summary")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    status: str
    results: _containers.RepeatedCompositeFieldContainer[BatchResult]
    summary: BatchSummary
    def __init__(self, batch_id: _Optional[str] = ..., status: _Optional[str] = ..., results: _Optional[_Iterable[_Union[BatchResult, _Mapping]]] = ..., summary: _Optional[_Union[BatchSummary, _Mapping]] = ...) -> None: ...

class LiveStart(_message.Message):
    __slots__ = ("coach", "technique", "body_mass_kg", "smoothing")
    COACH_FIELD_NUMBER: _ClassVar[int]
    TECHNIQUE_FIELD_NUMBER: _ClassVar[int]
    BODY_MASS_KG_FIELD_NUMBER: _ClassVar[int]
    SMOOTHING_FIELD_NUMBER: _ClassVar[int]
    coach: str
    technique: str
    body_mass_kg: float
    smoothing: str
    def __init__(self, coach: _Optional[str] = ..., technique: _Optional[str] = ..., body_mass_kg: _Optional[float] = ..., smoothing: _Optional[str] = ...) -> None: ...

class LiveRequest(_message.Message):
    __slots__ = ("start", "frame")
    START_FIELD_NUMBER: _ClassVar[int]
    FRAME_FIELD_NUMBER: _ClassVar[int]
    start: LiveStart
    frame: _pose_pb2.LiveFrame
    def __init__(self, start: _Optional[_Union[LiveStart, _Mapping]] = ..., frame: _Optional[_Union[_pose_pb2.LiveFrame, _Mapping]] = ...) -> None: ...

class LiveFeedback(_message.Message):
    __slots__ = ("repetition", "technique", "effector", "start_ms", "end_ms", "peak_speed_m_s", "speed_verdict", "speed_reasons", "overall_score", "top_correction", "computed_in_ms")
    REPETITION_FIELD_NUMBER: _ClassVar[int]
    TECHNIQUE_FIELD_NUMBER: _ClassVar[int]
    EFFECTOR_FIELD_NUMBER: _ClassVar[int]
    START_MS_FIELD_NUMBER: _ClassVar[int]
    END_MS_FIELD_NUMBER: _ClassVar[int]
    PEAK_SPEED_M_S_FIELD_NUMBER: _ClassVar[int]
    SPEED_VERDICT_FIELD_NUMBER: _ClassVar[int]
    SPEED_REASONS_FIELD_NUMBER: _ClassVar[int]
    OVERALL_SCORE_FIELD_NUMBER: _ClassVar[int]
    TOP_CORRECTION_FIELD_NUMBER: _ClassVar[int]
    COMPUTED_IN_MS_FIELD_NUMBER: _ClassVar[int]
    repetition: int
    technique: str
    effector: str
    start_ms: float
    end_ms: float
    peak_speed_m_s: float
    speed_verdict: str
    speed_reasons: _containers.RepeatedScalarFieldContainer[str]
    overall_score: float
    top_correction: str
    computed_in_ms: float
    def __init__(self, repetition: _Optional[int] = ..., technique: _Optional[str] = ..., effector: _Optional[str] = ..., start_ms: _Optional[float] = ..., end_ms: _Optional[float] = ..., peak_speed_m_s: _Optional[float] = ..., speed_verdict: _Optional[str] = ..., speed_reasons: _Optional[_Iterable[str]] = ..., overall_score: _Optional[float] = ..., top_correction: _Optional[str] = ..., computed_in_ms: _Optional[float] = ...) -> None: ...

class LiveEvent(_message.Message):
    __slots__ = ("pose", "feedback")
    POSE_FIELD_NUMBER: _ClassVar[int]
    FEEDBACK_FIELD_NUMBER: _ClassVar[int]
    pose: _pose_pb2.LivePose
    feedback: LiveFeedback
    def __init__(self, pose: _Optional[_Union[_pose_pb2.LivePose, _Mapping]] = ..., feedback: _Optional[_Union[LiveFeedback, _Mapping]] = ...) -> None: ...

class AnalysisStatus(_message.Message):
    __slots__ = ("progress", "message")
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    progress: float
    message: str
    def __init__(self, progress: _Optional[float] = ..., message: _Optional[str] = ...) -> None: ...

class AnalysisEvent(_message.Message):
    __slots__ = ("status", "analysis")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ANALYSIS_FIELD_NUMBER: _ClassVar[int]
    status: AnalysisStatus
    analysis: Analysis
    def __init__(self, status: _Optional[_Union[AnalysisStatus, _Mapping]] = ..., analysis: _Optional[_Union[Analysis, _Mapping]] = ...) -> None: ...

class SubmitBatchRequest(_message.Message):
    __slots__ = ("videos", "device", "body_mass_kg", "idempotency_key", "request_hash")
    VIDEOS_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    BODY_MASS_KG_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_HASH_FIELD_NUMBER: _ClassVar[int]
    videos: _containers.RepeatedCompositeFieldContainer[BatchVideo]
    device: str
    body_mass_kg: float
    idempotency_key: str
    request_hash: str
    def __init__(self, videos: _Optional[_Iterable[_Union[BatchVideo, _Mapping]]] = ..., device: _Optional[str] = ..., body_mass_kg: _Optional[float] = ..., idempotency_key: _Optional[str] = ..., request_hash: _Optional[str] = ...) -> None: ...

class GetBatchRequest(_message.Message):
    __slots__ = ("batch_id",)
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    def __init__(self, batch_id: _Optional[str] = ...) -> None: ...

class BatchProgress(_message.Message):
    __slots__ = ("total", "queued", "processing", "completed", "failed", "cancelled", "fraction")
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    PROCESSING_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    FRACTION_FIELD_NUMBER: _ClassVar[int]
    total: int
    queued: int
    processing: int
    completed: int
    failed: int
    cancelled: int
    fraction: float
    def __init__(self, total: _Optional[int] = ..., queued: _Optional[int] = ..., processing: _Optional[int] = ..., completed: _Optional[int] = ..., failed: _Optional[int] = ..., cancelled: _Optional[int] = ..., fraction: _Optional[float] = ...) -> None: ...

class BatchItem(_message.Message):
    __slots__ = ("position", "video", "coach", "technique", "status", "analysis_id", "score", "error", "processing_time", "attempts", "metadata")
    POSITION_FIELD_NUMBER: _ClassVar[int]
    VIDEO_FIELD_NUMBER: _ClassVar[int]
    COACH_FIELD_NUMBER: _ClassVar[int]
    TECHNIQUE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ANALYSIS_ID_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    PROCESSING_TIME_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    position: int
    video: str
    coach: str
    technique: str
    status: str
    analysis_id: str
    score: float
    error: _struct_pb2.Struct
    processing_time: float
    attempts: int
    metadata: _struct_pb2.Struct
    def __init__(self, position: _Optional[int] = ..., video: _Optional[str] = ..., coach: _Optional[str] = ..., technique: _Optional[str] = ..., status: _Optional[str] = ..., analysis_id: _Optional[str] = ..., score: _Optional[float] = ..., error: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., processing_time: _Optional[float] = ..., attempts: _Optional[int] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class BatchJob(_message.Message):
    __slots__ = ("batch_id", "status", "created_at", "finished_at", "progress", "videos")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    VIDEOS_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    status: str
    created_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    progress: BatchProgress
    videos: _containers.RepeatedCompositeFieldContainer[BatchItem]
    def __init__(self, batch_id: _Optional[str] = ..., status: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., progress: _Optional[_Union[BatchProgress, _Mapping]] = ..., videos: _Optional[_Iterable[_Union[BatchItem, _Mapping]]] = ...) -> None: ...

class ListBatchesRequest(_message.Message):
    __slots__ = ("limit", "cursor")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    limit: int
    cursor: str
    def __init__(self, limit: _Optional[int] = ..., cursor: _Optional[str] = ...) -> None: ...

class ListBatchesResponse(_message.Message):
    __slots__ = ("batches", "next_cursor")
    BATCHES_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    batches: _containers.RepeatedCompositeFieldContainer[BatchJob]
    next_cursor: str
    def __init__(self, batches: _Optional[_Iterable[_Union[BatchJob, _Mapping]]] = ..., next_cursor: _Optional[str] = ...) -> None: ...

class ListAnalysesRequest(_message.Message):
    __slots__ = ("coach", "technique", "to", "limit", "cursor")
    COACH_FIELD_NUMBER: _ClassVar[int]
    TECHNIQUE_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    coach: str
    technique: str
    to: str
    limit: int
    cursor: str
    def __init__(self, coach: _Optional[str] = ..., technique: _Optional[str] = ..., to: _Optional[str] = ..., limit: _Optional[int] = ..., cursor: _Optional[str] = ..., **kwargs) -> None: ...

class AnalysisSummary(_message.Message):
    __slots__ = ("id", "coach", "technique", "video", "status", "overall_score", "timestamp", "processing_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    COACH_FIELD_NUMBER: _ClassVar[int]
    TECHNIQUE_FIELD_NUMBER: _ClassVar[int]
    VIDEO_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    OVERALL_SCORE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    PROCESSING_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    coach: str
    technique: str
    video: str
    status: str
    overall_score: float
    timestamp: _timestamp_pb2.Timestamp
    processing_time: float
    def __init__(self, id: _Optional[str] = ..., coach: _Optional[str] = ..., technique: _Optional[str] = ..., video: _Optional[str] = ..., status: _Optional[str] = ..., overall_score: _Optional[float] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., processing_time: _Optional[float] = ...) -> None: ...

class ListAnalysesResponse(_message.Message):
    __slots__ = ("analyses", "next_cursor")
    ANALYSES_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    analyses: _containers.RepeatedCompositeFieldContainer[AnalysisSummary]
    next_cursor: str
    def __init__(self, analyses: _Optional[_Iterable[_Union[AnalysisSummary, _Mapping]]] = ..., next_cursor: _Optional[str] = ...) -> None: ...

class GetProgressRequest(_message.Message):
    __slots__ = ("technique", "coach")
    TECHNIQUE_FIELD_NUMBER: _ClassVar[int]
    COACH_FIELD_NUMBER: _ClassVar[int]
    technique: str
    coach: str
    def __init__(self, technique: _Optional[str] = ..., coach: _Optional[str] = ...) -> None: ...

class ProgressPoint(_message.Message):
    __slots__ = ("analysis_id", "timestamp", "overall_score", "aspect_scores", "max_speed", "peak_force")
    class AspectScoresEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    ANALYSIS_ID_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    OVERALL_SCORE_FIELD_NUMBER: _ClassVar[int]
    ASPECT_SCORES_FIELD_NUMBER: _ClassVar[int]
    MAX_SPEED_FIELD_NUMBER: _ClassVar[int]
    PEAK_FORCE_FIELD_NUMBER: _ClassVar[int]
    analysis_id: str
    timestamp: _timestamp_pb2.Timestamp
    overall_score: float
    aspect_scores: _containers.ScalarMap[str, float]
    max_speed: float
    peak_force: float
    def __init__(self, analysis_id: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., overall_score: _Optional[float] = ..., aspect_scores: _Optional[_Mapping[str, float]] = ..., max_speed: _Optional[float] = ..., peak_force: _Optional[float] = ...) -> None: ...

class Progress(_message.Message):
    __slots__ = ("technique", "points", "overall_change")
    TECHNIQUE_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    OVERALL_CHANGE_FIELD_NUMBER: _ClassVar[int]
    technique: str
    points: _containers.RepeatedCompositeFieldContainer[ProgressPoint]
    overall_change: float
    def __init__(self, technique: _Optional[str] = ..., points: _Optional[_Iterable[_Union[ProgressPoint, _Mapping]]] = ..., overall_change: _Optional[float] = ...) -> None: ...
