"""Fitting history into HISTORY_CHARS: whole exchanges, the newest kept, and the half kept after a refusal."""

from __future__ import annotations

from bot.services.context import exchanges, fit_history, halve, is_context_error, message_chars
from bot.storage import Turn
from provider import AllProvidersFailedError, ProviderContextLengthError, ProviderResponseError


def history(*contents: str) -> list[Turn]:
    return [Turn("user" if n % 2 == 0 else "assistant", text) for n, text in enumerate(contents)]


def test_exchanges_start_at_each_question() -> None:
    turns = [Turn("assistant", "hello"), *history("q1", "a1", "q2"), Turn("assistant", "a2"), Turn("assistant", "a2b")]
    assert [[t.content for t in e] for e in exchanges(turns)] == [["hello"], ["q1", "a1"], ["q2", "a2", "a2b"]]


def test_fit_keeps_the_newest_whole_exchanges_within_the_budget() -> None:
    turns = history("q1", "a" * 10, "q2", "b" * 10, "q3", "c" * 10)  # exchanges of 12 characters
    assert fit_history(turns, 36) == turns
    assert fit_history(turns, 35) == turns[2:]  # never half an exchange
    assert fit_history(turns, 24) == turns[2:]
    assert fit_history(turns, 11) == [] and fit_history(turns, -5) == []


def test_fit_leaves_no_gap_when_an_older_exchange_is_smaller() -> None:
    turns = history("q1", "a", "q2", "b" * 50, "q3", "c")
    assert fit_history(turns, 10) == turns[4:]  # q1/a would fit, but not without q2's long answer


def test_halve_keeps_the_newer_half() -> None:
    turns = history("q1", "a1", "q2", "a2", "q3", "a3", "q4", "a4")
    assert halve(turns) == turns[4:]
    assert halve(turns[2:]) == turns[6:]  # three exchanges: the newest one
    assert halve(turns[6:]) == [] and halve([]) == []


def test_context_errors_are_found_in_a_chain() -> None:
    context = ProviderContextLengthError(400, "http://oa.test/v1/chat/completions", provider="oa")
    other = ProviderResponseError("empty", provider="ai")
    assert is_context_error(context)
    assert is_context_error(AllProvidersFailedError([("ai", other), ("oa", context)], provider="chain"))
    assert not is_context_error(AllProvidersFailedError([("ai", other)], provider="chain"))


def test_message_chars_counts_text_and_text_parts() -> None:
    assert message_chars({"role": "user", "content": "hello"}) == 5
    parts = [{"type": "text", "text": "abc"}, {"type": "image_url", "image_url": {"url": "data:..."}}]
    assert message_chars({"role": "user", "content": parts}) == 3
