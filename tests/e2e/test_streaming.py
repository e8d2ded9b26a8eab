"""Answers that read well: drafts in private chats, throttled edits in groups, formatting, splitting,
flood control and parse-error fallbacks, all as the emulated Bot API sees them."""

from __future__ import annotations

import itertools

import pytest

from bot import texts
from bot.app import Application
from bot.config import Settings
from bot.rendering import render_markdown
from bot.replies import StreamingOptions
from tests.emulators import AiChatsEmulator, TelegramEmulator
from tests.emulators.tg_models import ApiCall
from tests.helpers import DATA
from tests.settings import changed
from tests.telegram_html import telegram_len

from .conftest import GROUP, USER, RunBot, visible

LONG_ANSWER = (DATA / "long_answer.md").read_text(encoding="utf-8")
ANSWER = "Streaming **works**: " + " ".join(f"word{i}" for i in range(40))


def gaps(calls: list) -> list[float]:
    return [b.at - a.at for a, b in itertools.pairwise(calls)]


def formatted(markdown: str) -> dict[str, object]:
    """The text and entities the bot sends for an answer of one part."""
    rendered = render_markdown(markdown)
    return {"text": rendered.text, "entities": [entity.to_dict() for entity in rendered.entities]}


def sent(call: ApiCall) -> dict[str, object]:
    return {key: call.params.get(key) for key in ("text", "entities")}


async def test_private_chat_streams_throttled_drafts(run_bot: RunBot, settings: Settings, tg: TelegramEmulator,
                                                     ai: AiChatsEmulator) -> None:
    ai.chunk_size, ai.chunk_delay = 6, 0.05
    ai.answers = [ANSWER]
    async with run_bot(changed(settings, draft_interval=0.2)):
        tg.push_message("/ask stream please")
        [final] = await tg.wait_for("sendMessage", timeout=10)

    drafts = tg.calls_of("sendMessageDraft")
    assert len(drafts) >= 3
    assert all(d.ok and d.params["draft_id"] == drafts[0].params["draft_id"] for d in drafts)
    assert all(ANSWER.startswith(d.params["text"]) for d in drafts)  # plain text, growing
    assert [len(d.params["text"]) for d in drafts] == sorted({len(d.params["text"]) for d in drafts})
    assert min(gaps(drafts)) >= 0.2 - 0.02
    assert drafts[-1].at <= final.at
    assert sent(final) == formatted(ANSWER) and "parse_mode" not in final.params
    assert final.params["entities"] == [{"type": "bold", "offset": 10, "length": 5}]  # "works"


async def test_group_streams_by_throttled_edits_never_unchanged(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, ai: AiChatsEmulator
) -> None:
    ai.chunk_size, ai.chunk_delay = 6, 0.05
    ai.answers = [ANSWER]
    async with run_bot(changed(settings, edit_interval=0.3)):
        question = tg.push_message("/ask stream", chat_type="supergroup", chat_id=GROUP)["message"]
        await tg.wait_for("editMessageText", lambda c: "entities" in c.params, timeout=10)

    [preview] = tg.calls_of("sendMessage")
    edits = tg.calls_of("editMessageText")
    assert tg.calls_of("sendMessageDraft") == []
    assert preview.params["reply_parameters"]["message_id"] == question["message_id"]
    assert "parse_mode" not in preview.params and "entities" not in preview.params  # plain text
    assert ANSWER.startswith(preview.params["text"])
    assert len(edits) >= 2 and all(e.ok for e in edits)  # no "message is not modified"
    assert all(e.params["message_id"] == preview.result["message_id"] for e in edits)
    assert min(gaps([preview, *edits[:-1]])) >= 0.3 - 0.02  # previews respect the group rate
    assert sent(edits[-1]) == formatted(ANSWER)
    shown = tg.message(GROUP, preview.result["message_id"])
    assert shown is not None and (shown["text"], shown["entities"]) == tuple(formatted(ANSWER).values())


async def test_streaming_off_sends_one_message(run_bot: RunBot, settings: Settings, tg: TelegramEmulator,
                                               ai: AiChatsEmulator) -> None:
    ai.chunk_size, ai.chunk_delay = 6, 0.02
    ai.answers = [ANSWER, ANSWER]
    async with run_bot(changed(settings, streaming=False)):
        tg.push_message("/ask private")
        tg.push_message("/ask group", chat_type="supergroup", chat_id=GROUP)
        calls = await tg.wait_for("sendMessage", count=2, timeout=10)

    assert tg.calls_of("sendMessageDraft") == [] and tg.calls_of("editMessageText") == []
    assert [sent(c) for c in calls] == [formatted(ANSWER)] * 2


async def test_an_answer_complete_within_a_moment_gets_no_preview(app: Application, tg: TelegramEmulator,
                                                                   ai: AiChatsEmulator) -> None:
    """A draft or a preview reply would only flicker, and cost a group one of its 20 messages a minute."""
    short = "Short **and** sweet."
    ai.chunk_size, ai.chunk_delay = 6, 0.01  # all of it within 0.05 s
    ai.answers = [short, short]
    tg.push_message("/ask private")
    tg.push_message("/ask group", chat_type="supergroup", chat_id=GROUP)
    calls = await tg.wait_for("sendMessage", count=2)
    await app.inflight.drain(grace=5)

    assert tg.calls_of("sendMessageDraft") == [] and tg.calls_of("editMessageText") == []
    assert [sent(c) for c in calls] == [formatted(short)] * 2
    assert len(tg.calls_of("sendMessage")) == 2


async def test_first_preview_shows_after_a_moment_even_while_the_model_pauses(
    app: Application, tg: TelegramEmulator, ai: AiChatsEmulator
) -> None:
    """The model writes one piece, then thinks for 2 s: that piece is shown once the hold is over."""
    ai.fail_next("slow_endless")
    ai.chunk_size, ai.endless_interval = 100, 2.0
    ai.answers = ["Let me think about that"]
    tg.push_message("/ask ponder")
    [draft] = await tg.wait_for("sendMessageDraft")
    tg.push_message("/cancel")
    await tg.wait_for("sendMessage")

    waited = draft.at - ai.requests[-1].at  # the first piece left right after the request arrived
    assert StreamingOptions().first_preview_after <= waited < 1.5
    assert draft.params["text"] == "Let me think about that"
    assert len(tg.calls_of("sendMessageDraft")) == 1


async def test_stream_failing_midway_removes_the_group_preview(app: Application, tg: TelegramEmulator,
                                                               ai: AiChatsEmulator) -> None:
    ai.answers = ["partial text that never finishes " * 4]
    ai.chunk_size, ai.chunk_delay = 8, 0.05  # half of it streams for 0.35 s: long enough for a preview
    ai.fail_next("truncated")
    tg.push_message("/ask fail", chat_type="supergroup", chat_id=GROUP)

    [delete] = await tg.wait_for("deleteMessage")
    calls = await tg.wait_for("sendMessage", count=2)

    assert delete.params["message_id"] == calls[0].result["message_id"]
    assert visible(calls[1]).startswith("The model did not answer: ")
    assert [m.get("text", "") for m in tg.messages(GROUP) if m["from"]["is_bot"]] == [visible(calls[1])]
    ai.answers = ["ok"]
    tg.push_message("/ask again", chat_type="supergroup", chat_id=GROUP)
    await tg.wait_for("sendMessage", count=3)
    assert ai.chat_prompts[-1] == "again"  # nothing of the failed turn was stored


CORPUS = {path.stem: path.read_text(encoding="utf-8") for path in sorted((DATA / "markdown").glob("*.md"))}


@pytest.mark.parametrize("sample", CORPUS)
async def test_awkward_answers_arrive_as_valid_entities(run_bot: RunBot, settings: Settings, tg: TelegramEmulator,
                                                    ai: AiChatsEmulator, sample: str) -> None:
    ai.answers = [CORPUS[sample]]
    async with run_bot(changed(settings, streaming=False)):
        tg.push_message("/ask go")
        calls = await tg.wait_for("sendMessage")

    assert calls and all(c.ok and "entities" in c.params and "parse_mode" not in c.params for c in calls)
    assert all(telegram_len(visible(c)) <= 4096 for c in calls)


async def test_long_answer_with_code_blocks_splits_into_valid_parts(app: Application, tg: TelegramEmulator,
                                                                    ai: AiChatsEmulator) -> None:
    ai.answers = [LONG_ANSWER]
    tg.push_message("/ask long")
    await tg.wait_for("sendMessage", count=3, timeout=10)
    calls = tg.calls_of("sendMessage")

    assert all(c.ok and "entities" in c.params for c in calls)
    assert all(telegram_len(visible(c)) <= 4096 for c in calls)
    code_at_end = [any(e["type"] == "pre" and e["offset"] + e["length"] >= telegram_len(c.params["text"].rstrip())
                       for e in c.params["entities"]) for c in calls]
    code_at_start = [any(e["type"] == "pre" and e["offset"] == 0 for e in c.params["entities"]) for c in calls]
    assert any(itertools.starmap(bool.__and__, zip(code_at_end, code_at_start[1:], strict=False))), \
        "a code block spanning two parts is closed and reopened"
    assert tg.calls_of("sendDocument") == []  # under 12,000 characters: no attachment


async def test_very_long_answer_is_also_attached(app: Application, tg: TelegramEmulator,
                                                 ai: AiChatsEmulator) -> None:
    answer = "\n\n".join(f"Section {n}. " + "lorem ipsum " * 80 for n in range(14))
    assert len(answer) > 12_000
    ai.answers = [answer]
    tg.push_message("/ask everything")
    [document] = await tg.wait_for("sendDocument", timeout=10)

    assert document.files["document"].filename == "answer.md"
    assert document.files["document"].data == answer.strip().encode()  # the provider strips the answer
    assert len(tg.calls_of("sendMessage")) >= 3


async def test_flood_control_is_waited_out(app: Application, tg: TelegramEmulator, ai: AiChatsEmulator) -> None:
    ai.answers = ["after the flood"]
    tg.fail_next("sendMessage", status=429, retry_after=1)
    tg.push_message("/ask hi")
    refused, sent = await tg.wait_for("sendMessage", count=2, timeout=10)

    assert (refused.status, sent.status) == (429, 200)
    assert sent.at - refused.at >= 0.95
    assert visible(sent) == "after the flood"


@pytest.mark.parametrize("refusal", [
    "Bad Request: can't parse entities: Entity beginning at UTF-16 offset 0 ends after the end of the text",
    "Bad Request: can't parse MessageEntity: Unsupported type specified",
])
async def test_refused_formatting_falls_back_to_plain_text(app: Application, tg: TelegramEmulator,
                                                           ai: AiChatsEmulator, refusal: str) -> None:
    """Telegram words a bad range as "can't parse entities" and a bad entity object as "can't parse
    MessageEntity": either way the answer still arrives, unformatted."""
    ai.answers = ["**bold** and `code`"]
    tg.fail_next("sendMessage", status=400, description=refusal)
    tg.push_message("/ask hi")
    refused, plain = await tg.wait_for("sendMessage", count=2)

    assert refused.status == 400 and len(refused.params["entities"]) == 2
    assert "parse_mode" not in plain.params and "entities" not in plain.params and plain.ok
    assert plain.params["text"] == "bold and code"


async def test_server_errors_and_dropped_connections_are_retried(app: Application, tg: TelegramEmulator,
                                                                 ai: AiChatsEmulator) -> None:
    ai.answers = ["made it"]
    tg.fail_next("sendMessage", status=502, description="Bad Gateway")
    tg.drop_next("sendMessage")
    tg.push_message("/ask hi")
    calls = await tg.wait_for("sendMessage", count=3, timeout=10)

    assert [c.status for c in calls] == [502, None, 200]
    assert visible(calls[2]) == "made it"
    assert len(tg.messages(1001)) == 2  # the question and one answer: no duplicate


async def test_flood_control_on_a_group_preview_holds_up_no_other_chat(
    run_bot: RunBot, settings: Settings, tg: TelegramEmulator, ai: AiChatsEmulator
) -> None:
    """One model slot; every edit in the group gets 429 retry_after=30. The refused preview is skipped, not
    retried, and nothing is tried again for 30 s; the slot is freed when the group's stream ends, so the
    private chat is answered while the group's own answer still waits out its flood control."""
    ai.chunk_size, ai.chunk_delay = 6, 0.05
    ai.responder = lambda prompt: f"{prompt}: " + "word " * 40  # about 1.7 s of streaming
    tg.fail_next("editMessageText", status=429, retry_after=30, times=1000)
    async with run_bot(changed(settings, edit_interval=0.1, max_concurrent_requests=1)):
        tg.push_message("/ask group", chat_type="supergroup", chat_id=GROUP)
        [refused] = await tg.wait_for("editMessageText")
        tg.push_message("/ask private")
        [answer] = await tg.wait_for("sendMessage", lambda c: c.params["chat_id"] == USER, timeout=10)
        [preview] = [c for c in tg.calls_of("sendMessage") if c.params["chat_id"] == GROUP]
        shown_meanwhile = tg.message(GROUP, preview.result["message_id"])
        [final_try] = await tg.wait_for("editMessageText", lambda c: "entities" in c.params, timeout=10)
        group_edits = tg.calls_of("editMessageText")
        tg.push_message("/cancel", chat_type="supergroup", chat_id=GROUP)
        await tg.wait_for("sendMessage", lambda c: c.params["chat_id"] == GROUP and c.ok, count=2)

    assert answer.ok and visible(answer).startswith("private: word")
    assert refused.status == 429 and "entities" not in refused.params  # a preview edit
    preview_edits = [c for c in group_edits if "entities" not in c.params]
    assert preview_edits == [refused]  # skipped: no retry, and no other preview edit within retry_after
    assert final_try.status == 429 and all(c.status == 429 for c in group_edits)  # the final answer waits...
    assert shown_meanwhile is not None and shown_meanwhile["text"] == preview.params["text"]  # ...undelivered
    assert tg.calls_of("sendMessage")[-1].params["text"] == texts.cancelled()
