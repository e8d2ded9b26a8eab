"""AnswerSender.deliver without Telegram: the work per chunk stays constant."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiogram.types import Message

from bot.replies import AnswerSender, StreamingOptions
from bot.streaming import AnswerText, NoPreview, Preview


class _Recorder(NoPreview):
    """A preview that only keeps the answer it was given, and never reads it."""

    def __init__(self) -> None:
        self.answers: list[AnswerText] = []

    def update(self, answer: AnswerText) -> None:
        self.answers.append(answer)


class _Sender(AnswerSender):
    def __init__(self) -> None:
        super().__init__(StreamingOptions())
        self.preview = _Recorder()
        self.sent: list[str] = []

    def _preview(self, message: Message) -> Preview:
        return self.preview

    async def send(self, message: Message, text: str, *, replace: Message | None = None, **_: object) -> None:
        self.sent.append(text)


async def _chunks(count: int) -> AsyncIterator[str]:
    for n in range(count):
        yield str(n % 10)


async def test_deliver_joins_the_chunks_once_not_at_every_chunk() -> None:
    sender = _Sender()
    text = (await sender.deliver(None, _chunks(20_000))).text  # type: ignore[arg-type]  # message is unused here

    assert text == "".join(str(n % 10) for n in range(20_000)) and sender.sent == [text]
    answers = sender.preview.answers
    assert len(answers) == 20_000 and all(a is answers[0] for a in answers)  # one growing answer, not copies
    assert answers[0].joined_chars == 20_000  # every character copied once: by the final read


def test_answer_text_reads_cost_only_what_was_appended_since() -> None:
    answer = AnswerText()
    assert str(answer) == ""
    for chunk in ("ab", "c", "😀"):
        answer.append(chunk)
    assert str(answer) == str(answer) == "abc😀"
    assert answer.joined_chars == 4  # the second read joined nothing
    answer.append("d")
    assert str(answer) == "abc😀d" and answer.joined_chars == 9
