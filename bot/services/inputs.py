"""Input → question: every kind of message the bot answers becomes one `Question` here.

A `Question` is what the conversation stores as the user's turn: its text (the user's words, with a
document's extracted text or a voice message's transcript) and the Telegram file ids of its images (never
the bytes). Text, photos and albums, voice/audio/video notes and documents all end in the same
`answer_question` flow (bot/handlers/ask.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import Bot
from aiogram.types import Document, Message

from .. import texts
from ..config import Settings
from .documents import DocumentKind, DocumentRefused, extract_text
from .media import TELEGRAM_DOWNLOAD_LIMIT, MediaRefused, MediaService, largest_photo


@dataclass(frozen=True)
class Question:
    """The user's turn: `text` as stored and sent, `images` as Telegram file ids."""

    text: str
    images: tuple[str, ...] = ()
    preface: str | None = None  # shown to the user before the answer (a voice message's transcript)


def as_question(question: Question | str) -> Question:
    return question if isinstance(question, Question) else Question(question)


def media_kind(message: Message) -> str | None:
    """Which input a message carries: "photo", "audio" (voice, audio file, video note), "document", or None."""
    if message.photo:
        return "photo"
    if message.voice or message.audio or message.video_note:
        return "audio"
    if message.document:
        return "document"
    return None


@dataclass(frozen=True)
class MediaRequest:
    """Messages with media (one, or an album's parts) and what the user asked about them ("" = nothing)."""

    parts: tuple[Message, ...]
    prompt: str

    @property
    def kind(self) -> str | None:
        return media_kind(self.parts[0])


async def build_question(request: MediaRequest, bot: Bot, media: MediaService, settings: Settings) -> Question:
    """The question for `request`; raises `MediaRefused` (with the reply for the user) for what cannot be taken."""
    kind = request.kind
    if kind == "photo":
        return photo_question(request, media, settings)
    if kind == "audio":
        return await audio_question(request, bot, media)
    if kind == "document":
        return await document_question(request, bot, media, settings)
    raise MediaRefused(texts.text_only(), "unsupported message")


def photo_question(request: MediaRequest, media: MediaService, settings: Settings) -> Question:
    if not media.can_see:
        raise MediaRefused(texts.no_vision(), "no provider can see images")
    images = []
    for part in request.parts[:10]:
        size = largest_photo(part.photo or (), settings.max_image_bytes)
        if size is None:
            raise MediaRefused(texts.photo_too_large(settings.max_image_bytes), "photo over MAX_IMAGE_BYTES")
        images.append(size.file_id)
    return Question(request.prompt or texts.describe_picture(), tuple(images))


async def audio_question(request: MediaRequest, bot: Bot, media: MediaService) -> Question:
    message = request.parts[0]
    if message.voice:
        voice = message.voice
        file_id, size, name, mime = voice.file_id, voice.file_size, "voice.ogg", voice.mime_type or "audio/ogg"
    elif message.video_note:
        file_id, size, name, mime = message.video_note.file_id, message.video_note.file_size, "video.mp4", "video/mp4"
    else:
        assert message.audio is not None
        audio = message.audio
        file_id, size = audio.file_id, audio.file_size
        name, mime = audio.file_name or "audio.mp3", audio.mime_type or "audio/mpeg"
    if not media.can_transcribe:
        raise MediaRefused(texts.transcription_off(), "no transcription model")
    _refuse_big(size)
    data = await media.download(bot, file_id, max_bytes=TELEGRAM_DOWNLOAD_LIMIT)
    transcript = await media.transcribe(data, filename=name, mime=mime)
    if not transcript:
        raise MediaRefused(texts.nothing_heard(), "empty transcript")
    text = f"{transcript}\n\n{request.prompt}" if request.prompt else transcript
    return Question(text, preface=texts.transcript(transcript))


async def document_question(request: MediaRequest, bot: Bot, media: MediaService, settings: Settings) -> Question:
    document = request.parts[0].document
    assert isinstance(document, Document)
    name = document.file_name or "document"
    _refuse_big(document.file_size)
    try:
        kind = DocumentKind.of(name, document.mime_type)
        data = await media.download(bot, document.file_id, max_bytes=TELEGRAM_DOWNLOAD_LIMIT)
        content = await extract_text(data, kind)
    except DocumentRefused as refused:
        raise MediaRefused(refused.reply(name), f"document {name!r}: {refused.why}") from None
    limit = settings.max_document_chars
    preface = None
    if len(content) > limit:
        preface = texts.document_cut(limit, len(content))
        content = content[:limit]
    question = request.prompt or texts.summarise_document()
    return Question(f"{texts.document_header(name)}\n{content}\n\n{question}", preface=preface)


def _refuse_big(size: int | None) -> None:
    if size is not None and size > TELEGRAM_DOWNLOAD_LIMIT:
        raise MediaRefused(texts.file_too_big(TELEGRAM_DOWNLOAD_LIMIT), f"file of {size} bytes over 20 MB")

