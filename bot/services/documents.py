"""The text of a sent document: plain-text files as they are, PDFs through pypdf; anything else refused."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from enum import Enum
from pathlib import PurePosixPath

from .. import texts

# Text by extension, for files Telegram labels application/octet-stream (or a type of its own).
TEXT_EXTENSIONS = frozenset({
    ".txt", ".md", ".markdown", ".rst", ".csv", ".tsv", ".json", ".jsonl", ".yaml", ".yml", ".toml", ".ini", ".cfg",
    ".conf", ".log", ".xml", ".html", ".htm", ".css", ".py", ".js", ".ts", ".tsx", ".jsx", ".java", ".kt", ".c",
    ".h", ".cc", ".cpp", ".hpp", ".cs", ".go", ".rs", ".rb", ".php", ".sh", ".bash", ".zsh", ".sql", ".swift",
    ".lua", ".pl", ".r", ".tex", ".srt", ".vtt", ".env", ".gitignore", ".dockerfile",
})
TEXT_TYPES = frozenset({"application/json", "application/xml", "application/x-yaml", "application/toml",
                        "application/x-sh", "application/javascript", "application/x-python"})


class DocumentRefused(Exception):
    """A document whose text cannot be had; `reply(name)` says why to the user."""

    def __init__(self, reply: Callable[[str], str], why: str) -> None:
        super().__init__(why)
        self.reply = reply
        self.why = why


class DocumentKind(Enum):
    TEXT = "text"
    PDF = "pdf"

    @classmethod
    def of(cls, name: str, mime: str | None) -> DocumentKind:
        suffix = PurePosixPath(name.lower()).suffix
        mime = (mime or "").lower()
        if suffix == ".pdf" or mime == "application/pdf":
            return cls.PDF
        if mime.startswith("text/") or mime in TEXT_TYPES or suffix in TEXT_EXTENSIONS:
            return cls.TEXT
        raise DocumentRefused(texts.document_unsupported, f"type {mime or '?'} / {suffix or 'no extension'}")


async def extract_text(data: bytes, kind: DocumentKind) -> str:
    """The document's text; PDFs are parsed in a worker thread (pypdf is pure Python and CPU-bound)."""
    if kind is DocumentKind.PDF:
        return await asyncio.to_thread(pdf_text, data)
    return decode_text(data)


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with a BOM; anything else (or binary with NULs) is refused."""
    try:
        text = data.decode("utf-16") if data.startswith((b"\xff\xfe", b"\xfe\xff")) else data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DocumentRefused(texts.document_undecodable, "not UTF-8/UTF-16 text") from None
    if "\x00" in text:
        raise DocumentRefused(texts.document_undecodable, "binary content (NUL characters)")
    if not text.strip():
        raise DocumentRefused(texts.document_no_text, "empty text")
    return text


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader  # loaded only when a PDF comes
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):  # "" opens PDFs locked only against editing
            raise DocumentRefused(texts.document_encrypted, "encrypted PDF")
        pages = [page.extract_text() or "" for page in reader.pages]
    except FileNotDecryptedError:
        raise DocumentRefused(texts.document_encrypted, "encrypted PDF") from None
    except (PdfReadError, ValueError, KeyError, TypeError) as error:
        raise DocumentRefused(texts.document_unreadable, f"unreadable PDF: {error}") from None
    text = "\n\n".join(page.strip() for page in pages if page.strip())
    if not text:
        raise DocumentRefused(texts.document_no_text, "PDF without text (scanned images?)")
    return text
