"""Media files: what the bot uploads, re-sends by file_id or names by URL, and fake user files."""

import functools
import struct
import zlib
from urllib.parse import urlsplit

from aiohttp.web_request import FileField

from telegram_sandbox.params import bad_request
from telegram_sandbox.state import Bot, StoredFile, World

KINDS = ("photo", "animation", "video", "document", "audio", "voice")
_TYPE_NAMES = {
    "photo": "Photo",
    "animation": "Animation",
    "video": "Video",
    "document": "Document",
    "audio": "Audio",
    "voice": "Voice",
}
_DEFAULTS = {
    "animation": ("animation.mp4", "video/mp4", "mp4"),
    "video": ("video.mp4", "video/mp4", "mp4"),
    "document": ("document.txt", "text/plain", "txt"),
    "audio": ("audio.mp3", "audio/mpeg", "mp3"),
    "voice": (None, "audio/ogg", "oga"),
}
_MIME_BY_EXTENSION = {
    "txt": "text/plain",
    "pdf": "application/pdf",
    "csv": "text/csv",
    "json": "application/json",
    "zip": "application/zip",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "mp4": "video/mp4",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "oga": "audio/ogg",
}
_FAKE_BYTES = {
    "animation": b"\x00\x00\x00\x18ftypmp42" + bytes(64),
    "video": b"\x00\x00\x00\x18ftypmp42" + bytes(256),
    "document": b"sandbox document\n",
    "audio": b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(128),
    "voice": b"OggS\x00\x02" + bytes(64),
}


@functools.cache
def fake_png(width: int = 800, height: int = 600) -> bytes:
    """A valid, solid-colour PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = (b"\x00" + b"\x30\x88\xcc" * width) * height
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def image_size(content: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF, JPEG or WEBP image; None when it is no image."""
    if content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) >= 24:
        return struct.unpack(">II", content[16:24])
    if content[:6] in (b"GIF87a", b"GIF89a") and len(content) >= 10:
        return struct.unpack("<HH", content[6:10])
    if content.startswith(b"RIFF") and content[8:12] == b"WEBP":
        return (512, 512)
    if content.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(content):
            if content[i] != 0xFF:
                i += 1
                continue
            marker = content[i + 1]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", content[i + 5 : i + 9])
                return width, height
            (length,) = struct.unpack(">H", content[i + 2 : i + 4])
            i += 2 + length
        return (800, 600)
    return None


def _photo_sizes(world: World, bot: Bot, content: bytes, width: int, height: int) -> list[dict]:
    """Register a photo as 1-3 PhotoSize files and return the PhotoSize array."""
    largest = max(width, height, 1)
    targets = [side for side in (90, 320, 800) if side < largest] + [min(largest, 1280)]
    sizes = []
    for side in targets[-3:]:
        scale = side / largest
        w, h = max(1, round(width * scale)), max(1, round(height * scale))
        size = max(1, len(content) * side // min(largest, 1280))
        stored = world.new_file(bot, "photo", content, {}, "jpg")
        sizes.append(
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": size,
                "width": w,
                "height": h,
            }
        )
        stored.meta["file_size"] = size
    for size in sizes:
        bot.files[size["file_id"]].meta["sizes"] = sizes
    return sizes


def register_media(
    world: World, bot: Bot, kind: str, content: bytes, file_name: str | None, mime_type: str | None = None
) -> StoredFile:
    """Register a new file of ``kind``; for photos, the largest size is returned."""
    if kind == "photo":
        dimensions = image_size(content)
        if dimensions is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        sizes = _photo_sizes(world, bot, content, *dimensions)
        return bot.files[sizes[-1]["file_id"]]
    default_name, default_mime, extension = _DEFAULTS[kind]
    name = file_name or default_name
    if name and "." in name:
        extension = name.rsplit(".", 1)[1].lower()[:8] or extension
    meta: dict = {}
    if kind in ("animation", "video"):
        meta.update(width=640, height=360, duration=5)
    elif kind in ("audio", "voice"):
        meta["duration"] = 3
    if name and kind != "voice":
        meta["file_name"] = name
    meta["mime_type"] = mime_type or _MIME_BY_EXTENSION.get(extension, default_mime)
    meta["file_size"] = len(content)
    return world.new_file(bot, kind, content, meta, extension)


def media_payload(stored: StoredFile) -> object:
    """The Message field for a file: a PhotoSize array for photos, else the media object."""
    if stored.kind == "photo":
        return stored.meta["sizes"]
    return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id, **stored.meta}


def fake_media(world: World, bot: Bot, kind: str, file_name: str | None = None) -> StoredFile:
    """A small generated file of ``kind``, as if a user had sent it."""
    content = fake_png() if kind == "photo" else _FAKE_BYTES[kind]
    return register_media(world, bot, kind, content, file_name)


def resolve_input_file(world: World, bot: Bot, kind: str, value: object) -> StoredFile:
    """The file given for a media parameter: an upload, a file_id of this bot, or an http(s) URL."""
    if isinstance(value, FileField):
        content = value.file.read()
        name = value.filename if kind != "photo" else None
        mime = value.content_type if value.content_type not in (None, "application/octet-stream") else None
        return register_media(world, bot, kind, content, name, mime)
    if not isinstance(value, str) or not value.strip():
        raise bad_request(f"there is no {kind} in the request")
    value = value.strip()
    stored = bot.files.get(value)
    if stored is not None:
        if stored.kind != kind:
            raise bad_request(f"can't use file of type {_TYPE_NAMES[stored.kind]} as {_TYPE_NAMES[kind]}")
        return stored
    if value.startswith(("http://", "https://")):
        url = urlsplit(value)
        if not url.hostname:
            raise bad_request("wrong HTTP URL specified")
        name = url.path.rsplit("/", 1)[-1] or None
        content = fake_png() if kind == "photo" else _FAKE_BYTES[kind]
        return register_media(world, bot, kind, content, name)
    if value.startswith("attach://"):
        raise bad_request(f"there is no {kind} in the request")
    raise bad_request("wrong file identifier/HTTP URL specified")
