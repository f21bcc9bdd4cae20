"""Python SDK for the KataForge REST API (API key or bearer token)."""

from __future__ import annotations

import os
import time
from typing import Any, Callable

import httpx


class KataForgeError(Exception):
    """An error answered by the API, with the spec's error envelope."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        self.status = status
        self.code = error.get("code", "unknown")
        self.message = error.get("message", str(body))
        self.details = error.get("details", {})
        self.body = body
        super().__init__(f"{status} {self.code}: {self.message}")


class KataForgeClient:
    def __init__(self, base_url: str = "http://localhost:8000", api_key: str | None = None,
                 token: str | None = None, timeout: float = 600.0) -> None:
        self.api_key, self.token = api_key, token
        self.refresh_token: str | None = None
        self._http = httpx.Client(base_url=base_url, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "KataForgeClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _headers(self) -> dict[str, str]:
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        if self.api_key:
            return {"X-API-Key": self.api_key}
        return {}

    def _request(self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        response = self._http.request(method, path, headers={**self._headers(), **(headers or {})}, **kwargs)
        try:
            body = response.json()
        except ValueError:
            body = {"error": {"code": "invalid_response", "message": response.text[:200]}}
        if response.status_code >= 400:
            raise KataForgeError(response.status_code, body)
        return body

    # Authentication
    def login(self, username: str, password: str) -> dict[str, Any]:
        """Log in; later calls use the access token."""
        tokens = self._request("POST", "/auth/login", data={"username": username, "password": password})
        self.token, self.refresh_token = tokens["access_token"], tokens.get("refresh_token")
        return tokens

    def refresh(self) -> dict[str, Any]:
        tokens = self._request("POST", "/auth/refresh", json={"refresh_token": self.refresh_token})
        self.token, self.refresh_token = tokens["access_token"], tokens.get("refresh_token")
        return tokens

    def logout(self) -> dict[str, Any]:
        result = self._request("POST", "/auth/logout", json={"refresh_token": self.refresh_token})
        self.token = self.refresh_token = None
        return result

    def register(self, username: str, email: str, password: str, **fields: Any) -> dict[str, Any]:
        return self._request("POST", "/auth/register",
                             json={"username": username, "email": email, "password": password, **fields})

    def profile(self) -> dict[str, Any]:
        return self._request("GET", "/auth/profile")

    def create_api_key(self, name: str = "") -> dict[str, Any]:
        return self._request("POST", "/auth/api-keys", json={"name": name})

    # Analysis
    def analyze(self, video_url: str, coach: str, technique: str | None = None, **options: Any) -> dict[str, Any]:
        """Analyse a video given as an http(s) URL or base64 data."""
        body = {"video_url": video_url, "coach": coach, **{k: v for k, v in options.items() if v is not None}}
        if technique:
            body["technique"] = technique
        return self._request("POST", "/analyze", json=body)

    def analyze_file(self, path: str | os.PathLike, coach: str, technique: str | None = None,
                     verbose: bool = False) -> dict[str, Any]:
        """Upload a local video file (multipart) and analyse it."""
        data = {"coach": coach, "verbose": str(bool(verbose)).lower()}
        if technique:
            data["technique"] = technique
        with open(path, "rb") as handle:
            return self._request("POST", "/analyze", data=data,
                                 files={"file": (os.path.basename(path), handle, "video/mp4")})

    def batch_analyze(self, videos: list[dict[str, Any]], parallel: bool = True,
                      max_workers: int | None = None, **options: Any) -> dict[str, Any]:
        """Analyse several videos in one call: `videos` are {"url", "coach", "technique"?, "metadata"?}; the
        answer has one row per video (a failed row carries its error) and a summary."""
        body = {"videos": videos, "parallel": parallel, **{k: v for k, v in options.items() if v is not None}}
        if max_workers is not None:
            body["max_workers"] = max_workers
        return self._request("POST", "/batch_analyze", json=body)

    # Durable batch jobs: queued on the server, analysed in the background, followed by id.
    def submit_batch(self, videos: list[dict[str, Any]], idempotency_key: str | None = None,
                     **options: Any) -> dict[str, Any]:
        """Queue a durable batch (`videos` as for batch_analyze); the answer (202) has its batch_id and
        progress. With an idempotency_key, a retried submission answers the first batch again."""
        body = {"videos": videos, **{k: v for k, v in options.items() if v is not None}}
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self._request("POST", "/batch/submit", json=body, headers=headers)

    def batch_status(self, batch_id: str) -> dict[str, Any]:
        return self._request("GET", f"/batch/status/{batch_id}")

    def batch_results(self, batch_id: str) -> dict[str, Any]:
        return self._request("GET", f"/batch/results/{batch_id}")

    def cancel_batch(self, batch_id: str) -> dict[str, Any]:
        return self._request("DELETE", f"/batch/cancel/{batch_id}")

    def list_batches(self, limit: int = 20, cursor: str | None = None) -> dict[str, Any]:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        return self._request("GET", "/batch/list", params=params)

    def wait_for_batch(self, batch_id: str, poll_s: float = 1.0, timeout_s: float = 3600.0,
                       on_progress: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
        """Poll the batch until it ends (each status passed to on_progress); its results."""
        deadline = time.monotonic() + timeout_s
        while True:
            status = self.batch_status(batch_id)
            if on_progress is not None:
                on_progress(status)
            if status.get("finished_at"):
                return self.batch_results(batch_id)
            if time.monotonic() > deadline:
                raise TimeoutError(f"batch {batch_id} still {status['status']} after {timeout_s:.0f} s")
            time.sleep(poll_s)

    def get_analysis(self, analysis_id: str) -> dict[str, Any]:
        return self._request("GET", f"/analyses/{analysis_id}")

    # Coaches
    def list_coaches(self) -> list[dict[str, Any]]:
        return self._request("GET", "/coaches")["coaches"]

    def get_coach(self, coach_id: str) -> dict[str, Any]:
        return self._request("GET", f"/coaches/{coach_id}")

    def create_coach(self, **fields: Any) -> dict[str, Any]:
        return self._request("POST", "/coaches", json=fields)

    def update_coach(self, coach_id: str, **fields: Any) -> dict[str, Any]:
        return self._request("PUT", f"/coaches/{coach_id}", json=fields)

    def delete_coach(self, coach_id: str) -> dict[str, Any]:
        return self._request("DELETE", f"/coaches/{coach_id}")

    # System
    def health(self) -> dict[str, Any]:
        return self._request("GET", "/")

    def system_info(self) -> dict[str, Any]:
        return self._request("GET", "/system/info")
