"""Options in /draw prompts, sizes per image model, and picture captions: pure functions."""

from __future__ import annotations

import pytest

from bot.pictures import caption
from bot.services.draw_options import DrawOptions, parse_draw_options
from provider.image_api import fit_size, images_per_request


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a fox", DrawOptions("a fox")),
        ("a fox --wide", DrawOptions("a fox", size="1792x1024")),
        ("--TALL a fox", DrawOptions("a fox", size="1024x1792")),
        ("a fox --square x2", DrawOptions("a fox", 2, "1024x1024")),
        ("a fox 512x512 X3", DrawOptions("a fox", 3, "512x512")),
        ("a fox x9", DrawOptions("a fox", 4)),  # capped
        ("a fox x0 x11 3x4 --fancy", DrawOptions("a fox x0 x11 3x4 --fancy")),  # not options: kept
        ("a fox\n--wide\nin snow", DrawOptions("a fox\nin snow", size="1792x1024")),
        ("x2 --wide", DrawOptions("", 2, "1792x1024")),
        ("a fox x2 x3", DrawOptions("a fox", 3)),  # the last one wins
    ],
)
def test_options_are_parsed_and_removed(text: str, expected: DrawOptions) -> None:
    assert parse_draw_options(text, max_count=4) == expected


@pytest.mark.parametrize(
    ("model", "asked", "fitted"),
    [
        ("dall-e-3", "1792x1024", "1792x1024"),
        ("dall-e-3", "1536x1024", "1792x1024"),
        ("dall-e-3", "1024x1792", "1024x1792"),
        ("dall-e-3", "300x300", "1024x1024"),
        ("gpt-image-1", "1792x1024", "1536x1024"),
        ("gpt-image-1", "1024x1792", "1024x1536"),
        ("dall-e-2", "1792x1024", "1024x1024"),
        ("dall-e-2", "500x500", "512x512"),
        ("flux-local", "1792x1024", "1792x1024"),  # unknown model: as asked
        ("dall-e-3", None, None),
        ("dall-e-3", "wide", None),
    ],
)
def test_sizes_fit_the_model(model: str, asked: str | None, fitted: str | None) -> None:
    assert fit_size(model, asked) == fitted


def test_only_dall_e_3_draws_one_per_request() -> None:
    assert images_per_request("dall-e-3") == 1
    assert images_per_request("gpt-image-1") == images_per_request("dall-e-2") == 10


def test_caption_fits_1024_units_with_who_asked_and_is_escaped() -> None:
    text = caption("🦊 <b> & " * 300, "Ann & Bob")
    unescaped = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert unescaped.endswith("\n\n— asked by Ann & Bob") and "<b>" not in text
    assert len(unescaped.encode("utf-16-le")) // 2 <= 1024
    assert caption("a fox", None) == "a fox"
