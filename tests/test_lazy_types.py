"""bot.lazy_types: aiogram's models are compiled on first use, and then behave as if built at import.

Each check runs in a fresh interpreter, since what matters is which of `bot` and `aiogram` comes first.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Updates of many shapes, in the Bot API's own JSON: nested messages, entities, media, members, queries.
USER = {"id": 7, "is_bot": False, "first_name": "Ann", "language_code": "en"}
BOT = {"id": 123456, "is_bot": True, "first_name": "Bot", "username": "the_bot"}
GROUP = {"id": -1001, "type": "supergroup", "title": "Group", "is_forum": True}
UPDATES = [
    {"update_id": 1, "message": {
        "message_id": 10, "date": 1700000000, "chat": {"id": 7, "type": "private", "first_name": "Ann"},
        "from": USER, "text": "/ask@the_bot hi **there**",
        "entities": [{"type": "bot_command", "offset": 0, "length": 12}, {"type": "bold", "offset": 16, "length": 9}],
    }},
    {"update_id": 2, "message": {
        "message_id": 11, "date": 1700000001, "chat": GROUP, "from": USER, "message_thread_id": 5,
        "is_topic_message": True, "text": "and then?",
        "reply_to_message": {"message_id": 9, "date": 1699999999, "chat": GROUP, "from": BOT, "text": "Hello"},
    }},
    {"update_id": 3, "message": {
        "message_id": 12, "date": 1700000002, "chat": GROUP, "from": USER, "caption": "look",
        "photo": [{"file_id": "a", "file_unique_id": "b", "width": 90, "height": 60, "file_size": 900}],
        "document": {"file_id": "c", "file_unique_id": "d", "file_name": "x.md", "mime_type": "text/markdown"},
    }},
    {"update_id": 4, "edited_message": {
        "message_id": 10, "date": 1700000000, "edit_date": 1700000100,
        "chat": {"id": 7, "type": "private"}, "from": USER, "text": "edited",
    }},
    {"update_id": 5, "callback_query": {
        "id": "q", "from": USER, "chat_instance": "ci", "data": "again",
        "message": {"message_id": 9, "date": 1699999999, "chat": GROUP, "from": BOT, "text": "Hello",
                    "reply_markup": {"inline_keyboard": [[{"text": "Again", "callback_data": "again"}]]}},
    }},
    {"update_id": 6, "my_chat_member": {
        "chat": GROUP, "from": USER, "date": 1700000003,
        "old_chat_member": {"status": "left", "user": BOT},
        "new_chat_member": {"status": "member", "user": BOT},
    }},
    {"update_id": 7, "inline_query": {"id": "i", "from": USER, "query": "cats", "offset": ""}},
    {"update_id": 8, "message": {
        "message_id": 13, "date": 1700000004, "chat": GROUP, "from": USER,
        "contact": {"phone_number": "+100", "first_name": "Bo", "user_id": 8},
        "location": {"latitude": 51.5, "longitude": -0.12},
    }},
]

# What the bot sends and what Telegram returns, both ways through pydantic.
SCRIPT = """
import json, sys
{first}
from aiogram import methods, types
from aiogram.methods.base import Response

updates = json.loads(sys.stdin.read())
deferred = not types.Update.__pydantic_complete__
parsed = [types.Update.model_validate(u).model_dump(mode="json", exclude_none=True) for u in updates]
sent = json.loads(json.dumps(methods.SendMessage(
    chat_id=7, text="<b>hi</b>", message_thread_id=5,
    reply_markup=types.InlineKeyboardMarkup(inline_keyboard=[[types.InlineKeyboardButton(text="a", url="https://a.b")]]),
    reply_parameters=types.ReplyParameters(message_id=10, allow_sending_without_reply=True),
).model_dump(exclude_none=True), default=repr))  # parse_mode stays a Default until sent
returned = Response[types.Message].model_validate(
    {{"ok": True, "result": updates[2]["message"]}}).model_dump(mode="json", exclude_none=True)
print(json.dumps({{"deferred": deferred, "parsed": parsed, "sent": sent, "returned": returned}}))
"""


def run(first: str, script: str = SCRIPT, stdin: str = "") -> dict:
    done = subprocess.run(
        [sys.executable, "-c", script.format(first=first)], input=stdin, capture_output=True, text=True,
        cwd=ROOT, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict = json.loads(done.stdout)
    return result


def test_the_bot_defers_aiogram_validators_and_they_validate_as_eager_ones() -> None:
    lazy = run("import bot", stdin=json.dumps(UPDATES))
    eager = run("import aiogram", stdin=json.dumps(UPDATES))
    assert lazy["deferred"] is True
    assert eager["deferred"] is False
    assert lazy == {**eager, "deferred": True}
    assert [next(key for key in u if key != "update_id") for u in lazy["parsed"]] == [
        "message", "message", "message", "edited_message", "callback_query", "my_chat_member", "inline_query",
        "message",
    ]
    assert lazy["parsed"][1]["message"]["reply_to_message"]["from_user"]["id"] == BOT["id"]
    assert lazy["sent"]["reply_markup"] == {"inline_keyboard": [[{"text": "a", "url": "https://a.b"}]]}


EVERY_MODEL = """
import bot
from pydantic import BaseModel
from aiogram import methods, types
from aiogram.methods.base import Response, TelegramMethod

models = [c for m in (types, methods) for c in vars(m).values()
          if isinstance(c, type) and issubclass(c, BaseModel) and c is not TelegramMethod]
assert not any(c.__pydantic_complete__ for c in models if c.__module__.startswith("aiogram.types."))
failed = []
for c in models:
    try:
        c.__pydantic_validator__.validate_python, c.__pydantic_serializer__.to_python
        if issubclass(c, TelegramMethod):
            Response[c.__returning__].__pydantic_validator__.validate_python
    except Exception as error:
        failed.append(f"{c.__name__}: {error!r}"[:300])
print(len(models), failed)
"""


def test_every_aiogram_type_and_method_builds_on_first_use() -> None:
    done = subprocess.run([sys.executable, "-c", EVERY_MODEL], capture_output=True, text=True, cwd=ROOT,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    count, failed = done.stdout.split(" ", 1)
    assert int(count) > 500
    assert failed.strip() == "[]"


OTHERS = """
import bot
from pydantic import BaseModel

class Node(BaseModel):
    child: "Later | None" = None

class Later(BaseModel):
    value: int

assert Node.model_rebuild() is True
print(Node.model_validate({"child": {"value": 3}}).child.value)
"""


def test_models_outside_aiogram_rebuild_as_usual() -> None:
    done = subprocess.run([sys.executable, "-c", OTHERS], capture_output=True, text=True, cwd=ROOT,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "3"


def test_nothing_is_deferred_once_aiogram_was_imported() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import aiogram\nfrom bot.lazy_types import defer_aiogram_validators\n"
         "print(defer_aiogram_validators())"],
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
