"""Text that no service can store: U+0000 in any string field of a request.

PostgreSQL's text type cannot hold U+0000 (asyncpg raises CharacterNotInRepertoireError, a 500), and no
name, id, filter or URL of this API has a use for it, so every request is checked once, on arrival, by the
kit's interceptor (services/kit/interceptors.py), for every caller: the edge and internal gRPC clients alike.
Schemathesis found it (`GET /analyses?coach=%00`, tests/integration/test_openapi_fuzz.py).
"""

from __future__ import annotations

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from services.kit.errors import InvalidRequest


def _walk(message: Message, prefix: str) -> str | None:
    for field, value in message.ListFields():
        name = prefix + field.name
        if field.type == FieldDescriptor.TYPE_STRING:
            texts = value if field.is_repeated else (value,)
            if any("\x00" in text for text in texts):
                return name
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            if field.message_type.GetOptions().map_entry:
                for key, item in value.items():
                    if isinstance(key, str) and "\x00" in key:
                        return name
                    found = (name if isinstance(item, str) and "\x00" in item
                             else _walk(item, f"{name}.{key}.") if isinstance(item, Message) else None)
                    if found:
                        return found
            else:
                items = value if field.is_repeated else (value,)
                for item in items:
                    if found := _walk(item, name + "."):
                        return found
    return None


def refuse_nul(message: Message) -> None:
    """Raise InvalidRequest naming the first string field (dotted path) that holds U+0000."""
    if isinstance(message, Message) and (field := _walk(message, "")):
        raise InvalidRequest(f"{field} contains the NUL character (U+0000), which no text field can hold",
                             details={field: "must not contain U+0000"})
