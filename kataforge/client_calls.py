"""Every call of the KataForge public API, written once for the blocking and the asyncio clients
(kataforge/client.py): each method builds the `Call` it makes and hands it to `_send`, which the client
implements (and awaits, for the asyncio one), so a method answers a result or a coroutine of it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable


def clean(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields that were given (None means: leave it to the server's default)."""
    return {k: v for k, v in fields.items() if v is not None}


def _same(client: Any, body: Any) -> Any:
    return body


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    json: Any = None
    data: dict[str, Any] | None = None
    files: dict[str, Any] | None = None
    params: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    then: Callable[[Any, Any], Any] = _same  # (client, decoded body) -> what the method answers

    def httpx_options(self) -> dict[str, Any]:
        return clean({"json": self.json, "data": self.data, "files": self.files, "params": self.params})


def _keep_tokens(client: "ApiCalls", tokens: dict[str, Any]) -> dict[str, Any]:
    client.token, client.refresh_token = tokens["access_token"], tokens.get("refresh_token")
    return tokens


def _forget_tokens(client: "ApiCalls", body: Any) -> Any:
    client.token = client.refresh_token = None
    return body


class ApiCalls:
    def __init__(self, base_url: str, api_key: str | None, token: str | None) -> None:
        self.base_url, self.api_key, self.token = base_url, api_key, token
        self.refresh_token: str | None = None

    def _send(self, call: Call) -> Any:
        raise NotImplementedError

    def _headers(self) -> dict[str, str]:
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        if self.api_key:
            return {"X-API-Key": self.api_key}
        return {}

    # ---- authentication -------------------------------------------------------------------------------
    def login(self, username: str, password: str):
        """Log in; later calls use the access token."""
        return self._send(Call("POST", "/auth/login", data={"username": username, "password": password},
                               then=_keep_tokens))

    def refresh(self):
        return self._send(Call("POST", "/auth/refresh", json={"refresh_token": self.refresh_token}, then=_keep_tokens))

    def logout(self):
        return self._send(Call("POST", "/auth/logout", json={"refresh_token": self.refresh_token}, then=_forget_tokens))

    def register(self, username: str, email: str, password: str, **fields: Any):
        return self._send(Call("POST", "/auth/register",
                               json={"username": username, "email": email, "password": password, **fields}))

    def profile(self):
        return self._send(Call("GET", "/auth/profile"))

    def update_profile(self, **fields: Any):
        return self._send(Call("PUT", "/auth/profile", json=fields))

    def forgot_password(self, email: str):
        return self._send(Call("POST", "/auth/forgot-password", json={"email": email}))

    def reset_password(self, token: str, password: str):
        return self._send(Call("POST", "/auth/reset-password", json={"token": token, "password": password}))

    def create_api_key(self, name: str = ""):
        return self._send(Call("POST", "/auth/api-keys", json={"name": name}))

    def list_api_keys(self):
        return self._send(Call("GET", "/auth/api-keys"))

    def revoke_api_key(self, key_id: str):
        return self._send(Call("DELETE", f"/auth/api-keys/{key_id}"))

    # ---- analysis -------------------------------------------------------------------------------------
    def analyze(self, video_url: str, coach: str, technique: str | None = None, idempotency_key: str | None = None,
                **options: Any):
        """Analyse a video given as an http(s) URL or base64 data."""
        return self._send(Call("POST", "/analyze", json={"video_url": video_url, "coach": coach,
                                                         **clean({"technique": technique, **options})},
                               headers=clean({"Idempotency-Key": idempotency_key})))

    def _upload_call(self, path: str | os.PathLike, data: bytes, coach: str, technique: str | None,
                     verbose: bool) -> Call:
        return Call("POST", "/analyze", data=clean({"coach": coach, "technique": technique,
                                                    "verbose": str(bool(verbose)).lower()}),
                    files={"file": (os.path.basename(path), data, "video/mp4")})

    def batch_analyze(self, videos: list[dict[str, Any]], parallel: bool = True, max_workers: int | None = None,
                      **options: Any):
        """Analyse several videos in one call: `videos` are {"url", "coach", "technique"?, "metadata"?}; the
        answer has one row per video (a failed row carries its error) and a summary."""
        return self._send(Call("POST", "/batch_analyze", json={"videos": videos, "parallel": parallel,
                                                               **clean({"max_workers": max_workers, **options})}))

    def get_analysis(self, analysis_id: str):
        return self._send(Call("GET", f"/analyses/{analysis_id}"))

    def list_analyses(self, coach: str | None = None, technique: str | None = None, since: str | None = None,
                      until: str | None = None, limit: int = 20, cursor: str | None = None):
        """The caller's analyses, newest first (since/until: RFC 3339 times)."""
        return self._send(Call("GET", "/analyses", params=clean({"coach": coach, "technique": technique, "from": since,
                                                                 "to": until, "limit": limit, "cursor": cursor})))

    def progress(self, technique: str, coach: str | None = None):
        return self._send(Call("GET", "/analyses/progress", params=clean({"technique": technique, "coach": coach})))

    # ---- durable batch jobs: queued on the server, analysed in the background, followed by id ---------
    def submit_batch(self, videos: list[dict[str, Any]], idempotency_key: str | None = None, **options: Any):
        """Queue a durable batch (`videos` as for batch_analyze); the answer (202) has its batch_id and
        progress. With an idempotency_key, a retried submission answers the first batch again."""
        return self._send(Call("POST", "/batch/submit", json={"videos": videos, **clean(options)},
                               headers=clean({"Idempotency-Key": idempotency_key})))

    def batch_status(self, batch_id: str):
        return self._send(Call("GET", f"/batch/status/{batch_id}"))

    def batch_results(self, batch_id: str):
        return self._send(Call("GET", f"/batch/results/{batch_id}"))

    def cancel_batch(self, batch_id: str):
        return self._send(Call("DELETE", f"/batch/cancel/{batch_id}"))

    def list_batches(self, limit: int = 20, cursor: str | None = None):
        return self._send(Call("GET", "/batch/list", params=clean({"limit": limit, "cursor": cursor})))

    # ---- coaches and their references ------------------------------------------------------------------
    def list_coaches(self):
        return self._send(Call("GET", "/coaches", then=lambda client, body: body["coaches"]))

    def get_coach(self, coach_id: str):
        return self._send(Call("GET", f"/coaches/{coach_id}"))

    def create_coach(self, **fields: Any):
        return self._send(Call("POST", "/coaches", json=fields))

    def update_coach(self, coach_id: str, **fields: Any):
        return self._send(Call("PUT", f"/coaches/{coach_id}", json=fields))

    def delete_coach(self, coach_id: str):
        return self._send(Call("DELETE", f"/coaches/{coach_id}"))

    def add_reference(self, coach_id: str, technique: str, video_url: str | None = None,
                      pose_sequence: dict[str, Any] | None = None, **fields: Any):
        """A reference performance from a video (URL or base64) or from a pose sequence."""
        return self._send(Call("POST", f"/coaches/{coach_id}/references", json={"technique": technique, **clean(
            {"video_url": video_url, "pose_sequence": pose_sequence, **fields})}))

    def list_references(self, coach_id: str, **filters: Any):
        return self._send(Call("GET", f"/coaches/{coach_id}/references", params=clean(filters)))

    def get_reference(self, coach_id: str, reference_id: str):
        return self._send(Call("GET", f"/coaches/{coach_id}/references/{reference_id}"))

    def delete_reference(self, coach_id: str, reference_id: str):
        return self._send(Call("DELETE", f"/coaches/{coach_id}/references/{reference_id}"))

    # ---- models and training ---------------------------------------------------------------------------
    def list_models(self, coach: str | None = None):
        return self._send(Call("GET", "/models", params=clean({"coach": coach})))

    def train(self, **fields: Any):
        """Queue a training job (model_type, coach, data_dir, epochs, ...); 202 with its training_id."""
        return self._send(Call("POST", "/models/train", json=fields))

    def get_training(self, training_id: str):
        return self._send(Call("GET", f"/models/train/{training_id}"))

    def cancel_training(self, training_id: str):
        return self._send(Call("POST", f"/models/train/{training_id}/cancel", json={}))

    # ---- system ----------------------------------------------------------------------------------------
    def health(self):
        return self._send(Call("GET", "/"))

    def system_health(self):
        return self._send(Call("GET", "/system/health"))

    def system_info(self):
        return self._send(Call("GET", "/system/info"))
