"""Request-body helpers shared by the routes that take a video: body validation and client-streamed uploads."""

from __future__ import annotations

from typing import Any, AsyncIterator, Callable, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from services.kit.video_source import CHUNK_BYTES, VideoSource


Model = TypeVar("Model", bound=BaseModel)


def problems(model: type[Model], data: Any, *, max_errors: int | None = None) -> tuple[Model | None, list[dict]]:
    """(the validated body or None, its errors located under "body"; the first `max_errors` when given).

    `data` is the raw JSON body (bytes or str) or the fields of a form (a mapping)."""
    try:
        body = model.model_validate_json(data) if isinstance(data, (bytes, str)) else model.model_validate(data)
    except ValidationError as exc:
        return None, [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()[:max_errors]]
    return body, []


def validated(model: type[Model], data: Any, *, max_errors: int | None = None) -> Model:
    """The validated body, or RequestValidationError, which the edge answers with the error envelope."""
    body, found = problems(model, data, max_errors=max_errors)
    if found:
        raise RequestValidationError(found)
    return body


async def upload_stream(chunk_type: Callable[..., Any], header: Any,
                        chunks: AsyncIterator[bytes]) -> AsyncIterator[Any]:
    """A client stream: one `chunk_type(request=header)`, then `chunk_type(data=...)` per chunk of the video."""
    yield chunk_type(request=header)
    async for chunk in chunks:
        yield chunk_type(data=chunk)


def source_upload(chunk_type: Callable[..., Any], header: Any, source: VideoSource) -> AsyncIterator[Any]:
    """The client stream for a parsed `video_url`: the header naming the URL (fetched behind the edge, by the
    pose service's SSRF rules), or labelled by its size with the inline data in chunks after it."""
    if source.url:
        header.video_url = source.url
    else:
        header.video_label = source.label
    return upload_stream(chunk_type, header, source.chunks())


async def file_chunks(upload) -> AsyncIterator[bytes]:
    """The chunks of a multipart upload (starlette's UploadFile), read as they are sent on."""
    while chunk := await upload.read(CHUNK_BYTES):
        yield chunk
