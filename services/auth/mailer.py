"""Outgoing mail: a Mailer protocol and the default OutboxMailer that writes files to a folder."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

SENDER = "KataForge <no-reply@kataforge.local>"


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    kind: str  # what the mail is for, e.g. "password_reset"
    data: dict[str, str] = field(default_factory=dict)  # machine-readable fields (e.g. the reset token)


class Mailer(Protocol):
    """Delivers one message; an SMTP or provider implementation plugs in here."""

    async def send(self, mail: Mail) -> None: ...


def _atomic_write(path: Path, content: bytes) -> None:
    """Write to a temporary file in the same folder, fsync, then rename: readers never see half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)  # the message carries a secret
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class OutboxMailer:
    """Writes each message as `<stamp>-<id>.eml` (RFC 5322, readable by any mail client) and a
    `.json` twin with the same fields for programs; the .json is written last, so its presence
    means the message is complete."""

    def __init__(self, outbox_dir: str | Path) -> None:
        self.outbox_dir = Path(outbox_dir)

    def _write(self, mail: Mail) -> Path:
        self.outbox_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        now = datetime.now(timezone.utc)
        name = f"{now.strftime('%Y%m%dT%H%M%S%fZ')}-{uuid.uuid4().hex[:12]}"
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = SENDER, mail.to, mail.subject
        message["Date"] = now.strftime("%a, %d %b %Y %H:%M:%S +0000")
        message["X-KataForge-Kind"] = mail.kind
        message.set_content(mail.text)
        _atomic_write(self.outbox_dir / f"{name}.eml", bytes(message))
        record = {**asdict(mail), "sent_at": now.isoformat()}
        _atomic_write(self.outbox_dir / f"{name}.json", json.dumps(record, indent=2).encode())
        return self.outbox_dir / f"{name}.json"

    async def send(self, mail: Mail) -> None:
        await asyncio.to_thread(self._write, mail)
