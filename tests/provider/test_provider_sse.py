"""The incremental SSE parser and the answer trimmer, against the spec and the reference's behaviour."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provider.sse import SSEEvent, SSEParser, iter_sse_data, iter_sse_events
from provider.trim import AnswerTrimmer


def parse(*chunks: bytes, dispatch_incomplete: bool = False) -> list[SSEEvent]:
    parser = SSEParser()
    events: list[SSEEvent] = []
    for chunk in chunks:
        events += parser.feed(chunk)
    return events + parser.close(dispatch_incomplete=dispatch_incomplete)


def datas(*chunks: bytes, dispatch_incomplete: bool = False) -> list[str]:
    return [event.data for event in parse(*chunks, dispatch_incomplete=dispatch_incomplete)]


def reference_answer(body: str) -> str:
    """gpt4free's AiChats parsing, verbatim in behaviour: the oracle for the usual stream."""
    message = ""
    for line in body.split("\n"):
        if line.startswith("data: ") and line != "data: ":
            message += line[6:]
    return message.strip()


def trimmed(texts: list[str]) -> list[str]:
    trimmer = AnswerTrimmer()
    out = [piece for text in texts for piece in trimmer.feed(text)]
    tail = trimmer.finish()
    return [*out, tail] if tail else out


class TestSpec:
    def test_one_event_per_data_line(self) -> None:
        assert datas(b"data: Hello\n\ndata:  world\n\n") == ["Hello", " world"]

    def test_multi_line_event_joined_with_newline(self) -> None:
        assert datas(b"data: first\ndata: second\ndata:\ndata: fourth\n\n") == ["first\nsecond\n\nfourth"]

    @pytest.mark.parametrize("eol", [b"\r\n", b"\r", b"\n"])
    def test_every_line_ending(self, eol: bytes) -> None:
        body = b"data: a" + eol + b"data: b" + eol + eol + b"data: c" + eol + eol
        assert datas(body) == ["a\nb", "c"]

    def test_cr_at_chunk_end_then_lf_is_one_line_ending(self) -> None:
        assert datas(b"data: a\r", b"\n\r", b"\ndata: b\r\n", b"\r\n") == ["a", "b"]

    def test_no_space_after_colon_and_only_one_space_removed(self) -> None:
        assert datas(b"data:x\n\ndata:  two\n\n") == ["x", " two"]

    def test_comments_and_other_fields_are_ignored(self) -> None:
        body = b": keep-alive\n\nfoo: bar\nevent: update\nid: 7\nretry: 1500\ndata: text\n\n"
        parser = SSEParser()
        events = parser.feed(body)
        assert events == [SSEEvent(data="text", event="update", id="7")]
        assert parser.retry == 1500

    def test_field_without_colon_has_empty_value(self) -> None:
        assert datas(b"data\n\n") == [""]

    def test_event_without_data_is_not_dispatched_and_type_resets(self) -> None:
        assert parse(b"event: ping\n\ndata: x\n\n") == [SSEEvent(data="x", event="message")]

    def test_id_persists_and_nul_id_is_ignored(self) -> None:
        events = parse(b"id: 1\ndata: a\n\ndata: b\n\nid: x\x00y\ndata: c\n\n")
        assert [event.id for event in events] == ["1", "1", "1"]

    def test_bad_retry_is_ignored(self) -> None:
        parser = SSEParser()
        parser.feed(b"retry: 12a\nretry: \xc2\xb2\ndata: x\n\n")
        assert parser.retry is None

    def test_leading_bom_is_dropped_even_when_split(self) -> None:
        assert datas(b"\xef\xbb", b"\xbfdata: x\n\n") == ["x"]

    def test_cyrillic_and_emoji_split_inside_characters(self) -> None:
        body = "data: Привет, мир! 👋🏽\n\n".encode()
        assert datas(*[body[i : i + 1] for i in range(len(body))]) == ["Привет, мир! 👋🏽"]

    def test_invalid_utf8_becomes_replacement_character(self) -> None:
        assert datas(b"data: a\xffb\n\n") == ["a\ufffdb"]

    def test_incomplete_event_is_discarded_by_default(self) -> None:
        assert datas(b"data: done\n\ndata: cut") == ["done"]
        assert datas(b"data: done\n\ndata: cut\n") == ["done"]

    def test_incomplete_event_can_be_dispatched_at_eof(self) -> None:
        assert datas(b"data: done\n\ndata: cut", dispatch_incomplete=True) == ["done", "cut"]
        assert datas(b"data: a\ndata: b\n", dispatch_incomplete=True) == ["a\nb"]
        assert datas(b"data: a\n\n: comment", dispatch_incomplete=True) == ["a"]


_PIECES = st.sampled_from(
    ["data:", "data: ", "event: e", "id: 1", ":c", "x", " ", "й", "😀", "\r", "\n", "\r\n", "\n\n", "[DONE]", "\ufeff"]
)


@settings(max_examples=150, deadline=None)
@given(body=st.lists(_PIECES, max_size=40).map(lambda p: "".join(p).encode()), data=st.data())
def test_any_split_gives_the_same_events(body: bytes, data: st.DataObject) -> None:
    cuts = sorted(data.draw(st.lists(st.integers(0, len(body)), max_size=12)))
    chunks = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    for lenient in (False, True):
        assert parse(*chunks, dispatch_incomplete=lenient) == parse(body, dispatch_incomplete=lenient)


_TEXT = (
    st.lists(st.sampled_from(["a", "Я", "🙂", " ", "  ", "\t", "\u00a0", ":", "x y", "[DONE]"]), max_size=6)
    .map("".join)
    .filter(lambda t: t.strip() != "[DONE]")
)


@settings(max_examples=150, deadline=None)
@given(texts=st.lists(_TEXT, max_size=10))
def test_usual_stream_matches_the_reference(texts: list[str]) -> None:
    body = "".join(f"data: {text}\n\n" for text in texts)
    events = [event.data for event in parse(body.encode())]
    assert "".join(trimmed(events)) == reference_answer(body)


class TestTrimmer:
    def test_chunks_pass_through_unchanged(self) -> None:
        assert trimmed(["Hello", " world", ", how", " are you?"]) == ["Hello", " world", ", how", " are you?"]

    def test_answer_is_stripped_at_both_ends(self) -> None:
        assert trimmed(["\n ", "  Hi", " there ", "\n", "  "]) == ["Hi", " there"]

    def test_trailing_space_is_kept_when_more_text_follows(self) -> None:
        assert trimmed(["Hello ", "\n", "world"]) == ["Hello ", "\n", "world"]

    def test_whitespace_only_answer_is_nothing(self) -> None:
        trimmer = AnswerTrimmer()
        assert trimmer.feed(" \n") == [] and trimmer.finish() == ""
        assert not trimmer.started

    @settings(max_examples=200, deadline=None)
    @given(texts=st.lists(st.text(alphabet=" \n\tab\u3000", max_size=5), max_size=10))
    def test_join_always_equals_strip(self, texts: list[str]) -> None:
        out = trimmed(texts)
        assert "".join(out) == "".join(texts).strip()
        assert all(out)


async def _chunks(parts: list[bytes], pulled: list[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        pulled.append(part)
        yield part


async def test_iter_sse_data_stops_at_done_without_reading_further() -> None:
    pulled: list[bytes] = []
    parts = [b"data: a\n\n", b"data: [DONE]\n\n", b"data: after\n\n", b"data: more\n\n"]
    assert [text async for text in iter_sse_data(_chunks(parts, pulled))] == ["a"]
    assert pulled == parts[:2]


async def test_iter_sse_events_yields_as_chunks_complete() -> None:
    pulled: list[bytes] = []
    stream = iter_sse_events(_chunks([b"data: a\n", b"\ndata: b\n\n", b"data: c\n\n"], pulled))
    first = await anext(stream)
    assert first.data == "a" and len(pulled) == 2
    assert [event.data async for event in stream] == ["b", "c"]
