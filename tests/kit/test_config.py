"""Settings precedence and fail-fast parsing."""

import pytest

from services.kit.config import ConfigError, load_settings


def test_defaults_follow_the_spec(tmp_path):
    s = load_settings({}, config_file=str(tmp_path / "none.yaml"))
    assert s.api_port == 8000 and s.max_request_size == 104_857_600 and s.auth_enabled
    assert s.rate_limit_requests == 100 and s.rate_limit_window == 60 and s.rate_limit_burst == 20
    assert s.metrics_port == 0  # no metrics endpoint unless asked (`kataforge serve` asks for each backend)


def test_env_overrides_yaml_over_defaults(tmp_path):
    cfg = tmp_path / "api.yaml"
    cfg.write_text("api:\n  port: 9001\n  workers: 3\n  cors_origins: 'http://a,http://b'\n")
    s = load_settings({"DOJO_API_PORT": "9002"}, config_file=str(cfg))
    assert s.api_port == 9002  # env wins
    assert s.api_workers == 3  # from the file
    assert s.cors_origins == ("http://a", "http://b")


@pytest.mark.parametrize("var,value", [("DOJO_API_PORT", "eighty"), ("DOJO_AUTH_ENABLED", "maybe"),
                                       ("DOJO_TIMEOUT", "soon"), ("DOJO_API_PORT", "70000"),
                                       ("DOJO_POSE_SMOOTHING", "kalman"), ("DOJO_POSE_DELEGATE", "tpu"),
                                       ("DOJO_MAX_LIVE_STREAMS", "0"), ("DOJO_MAX_VIDEO_PIXELS", "-1"),
                                       ("DOJO_RATE_LIMIT_WINDOW", "0"), ("DOJO_RATE_LIMIT_BURST", "-1"),
                                       ("DOJO_REDIS_URL", "localhost:6379"), ("DOJO_OTEL_EXPORTER", "jaeger"),
                                       ("DOJO_METRICS_PORT", "-1"), ("DOJO_METRICS_PORT", "65536")])
def test_bad_values_name_the_variable(tmp_path, var, value):
    with pytest.raises(ConfigError, match=var):
        load_settings({var: value}, config_file=str(tmp_path / "none.yaml"))


def test_a_redis_url_with_a_password_is_not_printed(tmp_path):
    s = load_settings({"DOJO_REDIS_URL": "redis://:s3cret@cache:6379/0"}, config_file=str(tmp_path / "x.yaml"))
    assert s.redis_url == "redis://:s3cret@cache:6379/0" and "s3cret" not in repr(s)


def test_unknown_yaml_key_is_refused(tmp_path):
    cfg = tmp_path / "api.yaml"
    cfg.write_text("api:\n  prot: 1\n")
    with pytest.raises(ConfigError, match="prot"):
        load_settings({}, config_file=str(cfg))


def test_api_keys_from_env_and_file(tmp_path):
    keys = tmp_path / "keys.txt"
    keys.write_text("key2\n# comment\n\nkey3\n")
    s = load_settings({"DOJO_API_KEYS": "key1", "DOJO_API_KEYS_FILE": str(keys)}, config_file=str(tmp_path / "x"))
    assert s.all_api_keys() == ("key1", "key2", "key3")
    with pytest.raises(ConfigError, match="DOJO_API_KEYS_FILE"):
        load_settings({"DOJO_API_KEYS_FILE": str(tmp_path / "missing")}, config_file=str(tmp_path / "x"))
