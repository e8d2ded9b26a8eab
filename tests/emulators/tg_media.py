"""Media methods of the Telegram emulator: sendPhoto/sendDocument with Telegram's limits, getFile."""

from __future__ import annotations

import io
import mimetypes
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
from PIL import Image

from .tg_messages import chat_id_of, new_bot_message, rendered_caption
from .tg_models import ApiCall, ApiError, StoredFile, api_method, bad_request

if TYPE_CHECKING:
    from .telegram import TelegramEmulator
    from .tg_chats import ChatStore

MB = 1024 * 1024
MAX_PHOTO = 10 * MB
MAX_DOCUMENT = 50 * MB
MAX_BOT_DOWNLOAD = 20 * MB  # getFile refuses bigger files to bots (a local Bot API server does not)
PHOTO_BOUNDS = (90, 320, 800, 1280, 2560)  # Telegram's s/m/x/y/w thumbnail sizes


async def fetch_url(url: str) -> bytes:
    """Telegram downloads URL media itself; here only local servers are reachable (no internet)."""
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(url, timeout=aiohttp.ClientTimeout(total=5)) as resp,
        ):
            if resp.status != 200:
                raise bad_request("failed to get HTTP URL content")
            return await resp.read()
    except (aiohttp.ClientError, TimeoutError):
        raise bad_request("failed to get HTTP URL content") from None


@dataclass(frozen=True)
class MediaInput:
    data: bytes
    filename: str | None = None
    content_type: str | None = None
    url: str | None = None  # set when Telegram would have downloaded it


async def media_input(tg: TelegramEmulator, call: ApiCall, field: str) -> MediaInput:
    """An uploaded part, a known file_id or an http(s) URL, like the three ways Telegram accepts media."""
    upload = call.files.get(field)
    if upload is not None:
        return MediaInput(upload.data, upload.filename, upload.content_type)
    ref = call.params.get(field)
    if not isinstance(ref, str) or not ref:
        raise bad_request(f"there is no {field} in the request")
    if ref.startswith(("http://", "https://")):
        return MediaInput(await fetch_url(ref), ref.rsplit("/", 1)[-1] or None, None, ref)
    known = tg.store.files.get(ref)
    if known is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    return MediaInput(known.data, known.meta.get("file_name"), known.meta.get("mime_type"))


def image_size(data: bytes) -> tuple[int, int]:
    """Dimensions via Pillow; anything Pillow cannot read is what Telegram calls IMAGE_PROCESS_FAILED."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                size = img.size
                img.verify()
    except Image.DecompressionBombError:  # only for > 178 Mpx, i.e. far beyond width + height = 10000
        raise bad_request("PHOTO_INVALID_DIMENSIONS") from None
    except Exception:
        raise bad_request("IMAGE_PROCESS_FAILED") from None
    return size


def check_photo(data: bytes) -> tuple[int, int]:
    if len(data) > MAX_PHOTO:
        raise ApiError(413, "Request Entity Too Large")
    width, height = image_size(data)
    if width + height > 10000 or max(width, height) > 20 * min(width, height):
        raise bad_request("PHOTO_INVALID_DIMENSIONS")
    return width, height


def photo_sizes(store: ChatStore, data: bytes, width: int, height: int) -> list[dict[str, Any]]:
    """Thumbnail ladder like Telegram's; every size serves the original bytes (no real resizing)."""
    sizes: list[dict[str, Any]] = []
    for bound in PHOTO_BOUNDS:
        scale = min(1.0, bound / max(width, height))
        w, h = max(1, round(width * scale)), max(1, round(height * scale))
        if not sizes or (sizes[-1]["width"], sizes[-1]["height"]) != (w, h):
            stored = store.add_file(data, "photo", "jpg", width=w, height=h)
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": len(data),
                    "width": w,
                    "height": h,
                }
            )
        if scale == 1.0:
            break
    return sizes


def add_caption(message: dict[str, Any], params: dict[str, Any]) -> None:
    caption, entities = rendered_caption(params)
    if caption:
        message["caption"] = caption
    if entities:
        message["caption_entities"] = entities
    if params.get("show_caption_above_media"):
        message["show_caption_above_media"] = True


@api_method("sendPhoto")
async def send_photo(tg: TelegramEmulator, call: ApiCall) -> dict[str, Any]:
    p = call.params
    chat_id = chat_id_of(tg, p)
    media = await media_input(tg, call, "photo")
    data = media.data
    try:
        width, height = check_photo(data)
    except ApiError as e:
        if media.url and "IMAGE_PROCESS_FAILED" in e.description:
            raise bad_request("wrong type of the web page content") from None
        raise
    caption_message: dict[str, Any] = {}
    add_caption(caption_message, p)  # validate before a message id is spent
    message = new_bot_message(tg, chat_id, p)
    message["photo"] = photo_sizes(tg.store, data, width, height)
    message.update(caption_message)
    if p.get("has_spoiler"):
        message["has_media_spoiler"] = True
    tg.store.put(message)
    return message


@api_method("sendDocument")
async def send_document(tg: TelegramEmulator, call: ApiCall) -> dict[str, Any]:
    p = call.params
    chat_id = chat_id_of(tg, p)
    media = await media_input(tg, call, "document")
    data, filename, content_type = media.data, media.filename, media.content_type
    if len(data) > MAX_DOCUMENT:
        raise ApiError(413, "Request Entity Too Large")
    if not data:
        raise bad_request("file must be non-empty")
    caption_message: dict[str, Any] = {}
    add_caption(caption_message, p)
    filename = filename or "document"
    if not content_type or content_type == "application/octet-stream":
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    ext = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    stored = tg.store.add_file(data, "document", ext, file_name=filename, mime_type=content_type)
    message = new_bot_message(tg, chat_id, p)
    message["document"] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_name": filename,
        "mime_type": content_type,
        "file_size": len(data),
    }
    message.update(caption_message)
    tg.store.put(message)
    return message


def file_object(stored: StoredFile) -> dict[str, Any]:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
        "file_path": stored.file_path,
    }


@api_method("getFile")
async def get_file(tg: TelegramEmulator, call: ApiCall) -> dict[str, Any]:
    stored = tg.store.files.get(str(call.params.get("file_id", "")))
    if stored is None:
        raise bad_request("invalid file_id")
    if len(stored.data) > MAX_BOT_DOWNLOAD:
        raise bad_request("file is too big")
    return file_object(stored)


ALBUM_TYPES = frozenset({"photo", "video", "document", "audio"})


async def album_item(tg: TelegramEmulator, call: ApiCall, item: Any) -> MediaInput:
    """One InputMedia's file: ``attach://<part>`` (an uploaded part), a known file_id or a URL."""
    if not isinstance(item, dict) or item.get("type") not in ALBUM_TYPES:
        raise bad_request("can't parse InputMedia: media type not supported")
    ref = item.get("media")
    if not isinstance(ref, str) or not ref:
        raise bad_request("can't parse InputMedia: media not found")
    if ref.startswith("attach://"):
        upload = call.files.get(ref.removeprefix("attach://"))
        if upload is None:
            raise bad_request("can't parse InputMedia: media not found")
        return MediaInput(upload.data, upload.filename, upload.content_type)
    return await media_input(tg, ApiCall(call.method, {"media": ref}, {}, call.at), "media")


@api_method("sendMediaGroup")
async def send_media_group(tg: TelegramEmulator, call: ApiCall) -> list[dict[str, Any]]:
    """An album: 2-10 items; photos checked as sendPhoto checks them; documents (and audios) only with
    their own kind ("Documents and audio files can be only grouped in an album with messages of the same
    type"); a caption per item, each at most 1024 characters. Every message shares one media_group_id."""
    p = call.params
    chat_id = chat_id_of(tg, p)
    items = p.get("media")
    if not isinstance(items, list):
        raise bad_request("can't parse media JSON object")
    if not 2 <= len(items) <= 10:
        raise bad_request("wrong number of media in the album: must include 2-10 items")
    kinds = {item.get("type") for item in items if isinstance(item, dict)}
    for alone in ("document", "audio"):
        if alone in kinds and kinds != {alone}:
            raise bad_request(f"{alone.upper()}S_CANT_BE_MIXED: {alone}s can be grouped only with {alone}s")
    prepared: list[tuple[dict[str, Any], MediaInput, tuple[int, int] | None, dict[str, Any]]] = []
    for item in items:
        media = await album_item(tg, call, item)
        size = check_photo(media.data) if item["type"] == "photo" else None
        caption: dict[str, Any] = {}
        add_caption(caption, item)
        prepared.append((item, media, size, caption))
    group_id = str(13_000_000_000_000_000 + len(tg.calls))
    sent = []
    for item, media, size, caption in prepared:
        message = new_bot_message(tg, chat_id, p)
        message["media_group_id"] = group_id
        if size is not None:
            message["photo"] = photo_sizes(tg.store, media.data, *size)
        else:
            name = media.filename or "document"
            stored = tg.store.add_file(media.data, item["type"], name.rsplit(".", 1)[-1] if "." in name else "bin",
                                       file_name=name, mime_type=media.content_type or "application/octet-stream")
            message[item["type"]] = {
                "file_id": stored.file_id, "file_unique_id": stored.file_unique_id, "file_name": name,
                "mime_type": stored.meta["mime_type"], "file_size": len(media.data),
            }
        message.update(caption)
        tg.store.put(message)
        sent.append(message)
    return sent
