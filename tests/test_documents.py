"""Text from sent documents (bot/services/documents.py): which types are read, and why others are refused."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfWriter

from bot import texts
from bot.services.documents import DocumentKind, DocumentRefused, extract_text
from tests.pdfs import image_pdf, text_pdf


def blank_pdf(password: str | None = None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    if password:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(("name", "mime", "kind"), [
    ("a.txt", "text/plain", DocumentKind.TEXT), ("b.py", "application/octet-stream", DocumentKind.TEXT),
    ("c", "application/json", DocumentKind.TEXT), ("d.PDF", None, DocumentKind.PDF),
    ("e.bin", "application/pdf", DocumentKind.PDF), ("notes.md", None, DocumentKind.TEXT),
])
def test_kinds(name: str, mime: str | None, kind: DocumentKind) -> None:
    assert DocumentKind.of(name, mime) is kind


@pytest.mark.parametrize(("name", "mime"), [("x.zip", "application/zip"), ("y.docx", None), ("z", None)])
def test_other_types_are_refused(name: str, mime: str | None) -> None:
    with pytest.raises(DocumentRefused) as refused:
        DocumentKind.of(name, mime)
    assert refused.value.reply is texts.document_unsupported


async def test_text_encodings() -> None:
    assert await extract_text("héllo ✓".encode(), DocumentKind.TEXT) == "héllo ✓"
    assert await extract_text("\ufeffbom".encode(), DocumentKind.TEXT) == "bom"
    assert await extract_text("utf-16 ✓".encode("utf-16"), DocumentKind.TEXT) == "utf-16 ✓"
    for bad in (b"\xc3\x28 latin-1 \xe9", b"binary\x00data"):
        with pytest.raises(DocumentRefused) as refused:
            await extract_text(bad, DocumentKind.TEXT)
        assert refused.value.reply is texts.document_undecodable


async def test_pdfs() -> None:
    assert await extract_text(text_pdf("Hello PDF"), DocumentKind.PDF) == "Hello PDF"
    cases = [(blank_pdf("secret"), texts.document_encrypted), (image_pdf(), texts.document_no_text),
             (blank_pdf(), texts.document_no_text), (b"%PDF-1.4 garbage", texts.document_unreadable)]
    for data, reply in cases:
        with pytest.raises(DocumentRefused) as refused:
            await extract_text(data, DocumentKind.PDF)
        assert refused.value.reply is reply, refused.value.why
