"""Settings: DOJO_* environment variables over config/api.yaml over defaults, parsed once."""

from __future__ import annotations

import dataclasses
import functools
import os
import typing
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

import yaml

from services.kit.paths import SHARED_DATA


class ConfigError(ValueError):
    """A setting could not be parsed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    # Public API (names and defaults follow the spec's config/api.yaml).
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_workers: int = 1
    api_reload: bool = False
    timeout: float = 30.0
    max_request_size: int = 104_857_600  # 100 MiB
    cors_origins: tuple[str, ...] = ()
    auth_enabled: bool = True
    api_keys: tuple[str, ...] = field(default=(), repr=False)
    api_keys_file: str = ""
    rate_limit_enabled: bool = True
    rate_limit_requests: int = 100
    rate_limit_window: int = 60
    rate_limit_burst: int = 20  # requests above the normal rate within a window (services/edge/rate_limit.py)
    # Shared rate-limit counts for every edge process (redis://host:port/db); empty: counted per process.
    redis_url: str = field(default="", repr=False)  # may carry a password
    environment: str = "development"
    debug: bool = False
    log_level: str = "INFO"

    # Where the embedded database, keys, outbox and models live.
    state_dir: str = ".kataforge"
    database_url: str = ""
    model_dir: str = "models"

    # Internal gRPC addresses (host:port). Servers bind to grpc_bind_host on the same port.
    auth_addr: str = "127.0.0.1:50051"
    coach_addr: str = "127.0.0.1:50052"
    pose_addr: str = "127.0.0.1:50053"
    scoring_addr: str = "127.0.0.1:50054"
    grpc_bind_host: str = "127.0.0.1"

    # Tokens.
    jwt_issuer: str = "kataforge"
    jwt_audience: str = "kataforge-api"
    access_token_ttl: int = 900
    refresh_token_ttl: int = 30 * 24 * 3600
    reset_token_ttl: int = 3600
    login_max_failures: int = 5
    login_lockout_seconds: int = 900
    # Service credentials (services/kit/service_identity.py): the auth service's master secret, from which
    # each service's own is derived; a service's own secret. `kataforge serve` sets both when unset.
    internal_secret: str = field(default="", repr=False)
    service_secret: str = field(default="", repr=False)

    # First admin (created at auth start when both are set).
    admin_username: str = ""
    admin_password: str = field(default="", repr=False)
    admin_email: str = ""

    # Analysis.
    default_body_mass_kg: float = 70.0
    fetch_timeout: float = 30.0
    max_video_seconds: float = 600.0
    max_video_frames: int = 18_000  # frames analysed per video at most (the stride rises beyond)
    pose_max_fps: float = 120.0  # frames analysed per second of video at most (services/pose/decode_protocol.py)

    # WebSockets of the public API (WS /ws/analyze, /ws/live): per connection and per user.
    ws_max_message_bytes: int = 16 * 1024 * 1024  # one client message (a base64 video: larger ones by URL)
    ws_max_connections: int = 10  # open sockets per user at once
    ws_messages_per_minute: int = 60  # client messages per connection (live frames are counted by frame rate)
    ws_idle_seconds: float = 120.0  # a socket with no client message and no work running is closed
    ws_live_max_fps: float = 60.0  # camera frames per second on WS /ws/live (a second's burst above it)

    # Durable batch jobs (services/scoring/batch_jobs.py); the spec's sister system (spec/001) allows 10 an hour.
    batch_max_videos: int = 100  # videos per durable batch
    batch_jobs_per_hour: int = 10  # batch submissions per user per rolling hour
    batch_concurrency: int = 2  # videos each scoring process analyses at once (at least 2: PgQueuer's floor)

    # Pose service: limits of the sandboxed decoder and of live streams, landmark smoothing.
    max_video_pixels: int = 3840 * 2160  # per frame; larger videos are refused from the header
    decoder_memory_mb: int = 2048  # address-space limit of each pose worker process (model + decoder)
    decoder_cpu_seconds: float = 0.0  # CPU-time limit of one worker's job; 0 = 2 x max_video_seconds
    pose_num_poses: int = 3  # people the landmarker looks for per frame (performer + bystanders)
    pose_workers: int = 0  # sandboxed worker processes per video (time segments in parallel); 0 = CPU count
    pose_delegate: str = "auto"  # "auto" (GPU when MediaPipe can use one here), "cpu" or "gpu"
    live_num_poses: int = 1  # live: multi-person mode runs the detector every frame (2x the time)
    pose_smoothing: str = "butterworth"  # "butterworth", "one_euro" or "none" for videos
    max_live_streams: int = 4  # concurrent StreamPoses calls per pose process
    live_idle_seconds: float = 30.0  # a live stream without a frame for this long is ended

    # Training as a service: where data_dir, checkpoint_dir and resume_from may point, and limits.
    datasets_root: str = ""  # "" = the repository's sibling shared/data if present, else <state_dir>/datasets
    checkpoints_root: str = ""  # "" = <state_dir>/checkpoints
    training_max_epochs: int = 500
    training_concurrency: int = 1  # training worker processes per scoring process

    # Envoy's worker threads under `kataforge serve --envoy-port` (its --concurrency; services/kit/gateway.py
    # says why one): Envoy's own default is one per hardware thread, whatever CPU the machine leaves it.
    envoy_workers: int = 1

    otel_exporter: str = ""  # "" (no export), "console" or "otlp"
    otel_endpoint: str = ""  # the OTLP/gRPC collector (http://collector:4317) when otel_exporter is "otlp"

    # Mutual TLS between services (services/kit/transport_security.py): PEM paths, all three or none.
    tls_cert: str = ""
    tls_key: str = field(default="", repr=False)
    tls_ca: str = ""
    # Prometheus endpoint (GET /metrics) of a gRPC service, on grpc_bind_host; 0 = none. `kataforge serve`
    # gives each backend its gRPC port + 1000 (services/kit/supervisor.py); the edge serves /metrics on api_port.
    metrics_port: int = 0

    @property
    def outbox_dir(self) -> Path:
        return Path(self.state_dir) / "outbox"

    @property
    def datasets_path(self) -> Path:
        if self.datasets_root:
            return Path(self.datasets_root)
        return SHARED_DATA if SHARED_DATA.is_dir() else Path(self.state_dir) / "datasets"

    @property
    def checkpoints_path(self) -> Path:
        return Path(self.checkpoints_root) if self.checkpoints_root else Path(self.state_dir) / "checkpoints"

    def all_api_keys(self) -> tuple[str, ...]:
        """Static keys from DOJO_API_KEYS plus one per line of DOJO_API_KEYS_FILE."""
        keys = list(self.api_keys)
        if self.api_keys_file:
            try:
                text = Path(self.api_keys_file).read_text()
            except OSError as exc:
                raise ConfigError(f"DOJO_API_KEYS_FILE: cannot read {self.api_keys_file!r}: {exc.strerror}") from exc
            keys += [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
        return tuple(keys)


_TYPES = typing.get_type_hints(Settings)
_API_SHORT_KEYS = {"host", "port", "workers", "reload"}


def _parse(name: str, raw: Any, kind: Any, source: str) -> Any:
    where = f"{source}: " if source else ""
    try:
        if kind is bool:
            if isinstance(raw, bool):
                return raw
            value = str(raw).strip().lower()
            if value in ("1", "true", "yes", "on"):
                return True
            if value in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if kind is int:
            if isinstance(raw, bool):
                raise ValueError
            return int(str(raw).strip())
        if kind is float:
            return float(str(raw).strip())
        if kind == tuple[str, ...]:
            items = raw if isinstance(raw, (list, tuple)) else str(raw).split(",")
            return tuple(str(item).strip() for item in items if str(item).strip())
        return str(raw)
    except ValueError:
        expected = {bool: "true or false", int: "an integer", float: "a number"}.get(kind, "a value")
        raise ConfigError(f"{where}{name}: expected {expected}, got {raw!r}") from None


def load_settings(env: Mapping[str, str] | None = None, config_file: str | None = None) -> Settings:
    """Build settings; raises ConfigError naming the offending variable or key."""
    env = os.environ if env is None else env
    path = Path(config_file or env.get("DOJO_CONFIG_FILE", "config/api.yaml"))
    file_values: dict[str, Any] = {}
    if path.is_file():
        try:
            loaded = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: expected a mapping at the top level")
        # The spec nests API settings under "api:"; other sections are flat keys of the same names.
        for section_name, section in loaded.items():
            if not isinstance(section, dict):
                raise ConfigError(f"{path}: section {section_name!r} must be a mapping")
            for key, value in section.items():
                # The spec's api: section says host/port/workers/reload for api_host, api_port, ...
                renamed = f"api_{key}" if section_name == "api" and key in _API_SHORT_KEYS else key
                file_values[renamed] = value
    hints = {f.name: _TYPES[f.name] for f in fields(Settings)}
    values: dict[str, Any] = {}
    for name, kind in hints.items():
        if name in file_values:
            values[name] = _parse(name, file_values[name], kind, str(path))
        env_name = f"DOJO_{name.upper()}"
        if env_name in env:
            values[name] = _parse(env_name, env[env_name], kind, "")
    unknown = set(file_values) - set(hints)
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}")
    settings = Settings(**values)
    if not 0 < settings.api_port < 65536:
        raise ConfigError(f"DOJO_API_PORT: {settings.api_port} is not a TCP port")
    if not 0 <= settings.metrics_port < 65536:
        raise ConfigError(f"DOJO_METRICS_PORT: {settings.metrics_port} is not a TCP port (0: no metrics endpoint)")
    if settings.max_request_size <= 0:
        raise ConfigError("DOJO_MAX_REQUEST_SIZE: must be positive")
    for name in ("max_video_pixels", "decoder_memory_mb", "pose_num_poses", "live_num_poses", "max_live_streams",
                 "training_max_epochs", "training_concurrency", "rate_limit_requests", "rate_limit_window",
                 "max_video_frames", "pose_max_fps", "batch_max_videos", "batch_jobs_per_hour", "batch_concurrency",
                 "ws_max_message_bytes", "ws_max_connections", "ws_messages_per_minute", "ws_idle_seconds",
                 "ws_live_max_fps", "envoy_workers"):
        if getattr(settings, name) <= 0:
            raise ConfigError(f"DOJO_{name.upper()}: must be positive")
    if settings.otel_exporter not in ("", "console", "otlp"):
        raise ConfigError(f"DOJO_OTEL_EXPORTER: expected console or otlp (or empty: no export), "
                          f"got {settings.otel_exporter!r}")
    if settings.redis_url and not settings.redis_url.startswith(("redis://", "rediss://")):
        raise ConfigError(f"DOJO_REDIS_URL: expected redis://host:port/db or rediss://..., "
                          f"got {settings.redis_url.split('://')[0]!r}")
    if settings.rate_limit_burst < 0:
        raise ConfigError("DOJO_RATE_LIMIT_BURST: must be 0 or more")
    if settings.pose_delegate not in ("auto", "cpu", "gpu"):
        raise ConfigError(f"DOJO_POSE_DELEGATE: expected auto, cpu or gpu, got {settings.pose_delegate!r}")
    if settings.pose_smoothing not in ("butterworth", "one_euro", "none"):
        raise ConfigError("DOJO_POSE_SMOOTHING: expected butterworth, one_euro or none, "
                          f"got {settings.pose_smoothing!r}")
    settings.all_api_keys()  # fail fast on an unreadable keys file
    return settings


@functools.cache
def settings() -> Settings:
    """The process-wide settings, parsed on first use."""
    return load_settings()


def replace(base: Settings, **changes: Any) -> Settings:
    return dataclasses.replace(base, **changes)
