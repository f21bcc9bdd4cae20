"""The Idempotency-Key header of POST /analyze and POST /batch/submit: the key and the fingerprint of the
request it came with, which the scoring service stores with the claim (services/scoring/idempotency.py).
Only the edge sees the raw bytes, so it computes the fingerprint."""

from __future__ import annotations

import hashlib
import json

from fastapi import Request


async def fingerprint(request: Request, key: str, form=None, upload=None) -> dict[str, str]:
    """The Idempotency-Key and the SHA-256 of what it came with (empty without a key): the raw JSON body,
    or a multipart upload's fields and file bytes (read once more from the spooled file, then rewound)."""
    if not key:
        return {}
    digest = hashlib.sha256()
    if form is None:
        digest.update(await request.body())
    else:
        digest.update(json.dumps({k: v for k, v in form.items() if isinstance(v, str)}, sort_keys=True).encode())
        while chunk := await upload.read(1 << 20):
            digest.update(chunk)
        await upload.seek(0)
    return {"idempotency_key": key, "request_hash": digest.hexdigest()}
