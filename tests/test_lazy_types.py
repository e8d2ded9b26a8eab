"""bot.lazy_types: aiogram's models are compiled on first use, and then behave as if built at import; and
neither that opt-in nor importing the bot changes how any other pydantic model behaves.

Each check runs in a fresh interpreter, since what matters is what ran before `aiogram` was imported.
"""

from __future__ import annotations

import json

from tests.helpers import run_python

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

LAZY = "from bot.lazy_types import import_aiogram_lazily\nassert import_aiogram_lazily()"

# What the bot sends and what Telegram returns, both ways through pydantic; and a model of other code that
# holds aiogram types, built before any of them was used.
SCRIPT = """
import json, sys
{first}
from pydantic import BaseModel
from aiogram import methods, types
from aiogram.methods.base import Response

class Outside(BaseModel):
    query: types.CallbackQuery
    markup: types.InlineKeyboardMarkup | None = None

updates = json.loads(sys.stdin.read())
deferred = not types.Message.__pydantic_complete__
outside = Outside.model_validate({{"query": updates[4]["callback_query"]}}).model_dump(mode="json")
parsed = [types.Update.model_validate(u).model_dump(mode="json", exclude_none=True) for u in updates]
sent = json.loads(json.dumps(methods.SendMessage(
    chat_id=7, text="<b>hi</b>", message_thread_id=5,
    reply_markup=types.InlineKeyboardMarkup(inline_keyboard=[[types.InlineKeyboardButton(text="a", url="https://a.b")]]),
    reply_parameters=types.ReplyParameters(message_id=10, allow_sending_without_reply=True),
).model_dump(exclude_none=True), default=repr))  # parse_mode stays a Default until sent
returned = Response[types.Message].model_validate(
    {{"ok": True, "result": updates[2]["message"]}}).model_dump(mode="json", exclude_none=True)
print(json.dumps({{"deferred": deferred, "parsed": parsed, "sent": sent, "returned": returned, "outside": outside}}))
"""


def run(first: str, script: str = SCRIPT, stdin: str = "") -> dict:
    done = run_python("-c", script.format(first=first), stdin=stdin)
    assert done.returncode == 0, done.stderr
    result: dict = json.loads(done.stdout)
    return result


def test_the_opt_in_defers_aiogram_validators_and_they_validate_as_eager_ones() -> None:
    lazy = run(LAZY, stdin=json.dumps(UPDATES))
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
    assert lazy["outside"]["query"]["message"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "Again"


def test_importing_the_bot_leaves_aiogram_eager() -> None:
    assert run("import bot, bot.app", stdin=json.dumps(UPDATES))["deferred"] is False


EVERY_MODEL = """
from bot.lazy_types import import_aiogram_lazily
assert import_aiogram_lazily()
from pydantic import BaseModel
from aiogram import methods, types
from aiogram.methods.base import Response, TelegramMethod

# Methods first: each meets the types it holds before they were used, as a bot's first call does.
models = [c for m in (methods, types) for c in vars(m).values()
          if isinstance(c, type) and issubclass(c, BaseModel) and c is not TelegramMethod]
built = {c.__name__ for c in models if c.__module__.startswith("aiogram.types.") and c.__pydantic_complete__}
assert built == {"Update"}, built  # what every update needs is built at start-up


def build(c):  # from a function, as a bot's code does: pydantic reads the namespace a few frames up
    c.__pydantic_validator__.validate_python, c.__pydantic_serializer__.to_python
    if issubclass(c, TelegramMethod):
        Response[c.__returning__].__pydantic_validator__.validate_python


def main():
    failed = []
    for c in models:
        try:
            build(c)
        except Exception as error:
            failed.append(f"{c.__name__}: {error!r}"[:300])
    print(len(models), failed)


main()
"""


def test_every_aiogram_type_and_method_builds_on_first_use() -> None:
    done = run_python("-c", EVERY_MODEL, timeout=120)
    assert done.returncode == 0, done.stderr
    count, failed = done.stdout.split(" ", 1)
    assert int(count) > 500
    assert failed.strip() == "[]"


# Models of other code, defined in a function: forward references to the function's locals, a generic, a
# self-reference, explicit and automatic rebuilds, and the errors pydantic gives when a name is missing.
OTHERS = """
import json
from typing import Generic, TypeVar
{first}
from pydantic import BaseModel, PydanticUndefinedAnnotation

T = TypeVar("T")


def models() -> dict:
    class Node(BaseModel):
        child: "Later | None" = None
        children: "list[Node]" = []

    class Box(BaseModel, Generic[T]):
        item: T
        note: "Later | None" = None

    class Auto(BaseModel):
        later: "Later"

    class Missing(BaseModel):
        thing: "Nowhere"

    seen = {{"node complete at first": Node.__pydantic_complete__}}

    class Later(BaseModel):
        value: int

    seen["node rebuild"] = Node.model_rebuild()
    seen["node again"] = Node.model_rebuild()
    seen["node"] = Node.model_validate({{"child": {{"value": 3}}, "children": [{{}}]}}).model_dump()
    seen["box"] = Box[Node].model_validate({{"item": {{"child": {{"value": 4}}}}, "note": {{"value": 5}}}}).model_dump()
    seen["box rebuild"] = Box[int].model_rebuild()
    try:
        seen["auto"] = Auto.model_validate({{"later": {{"value": 6}}}}).model_dump()
    except Exception as error:
        seen["auto"] = type(error).__name__
    try:
        Missing.model_rebuild()
    except PydanticUndefinedAnnotation as error:
        seen["missing"] = str(error)
    seen["missing quietly"] = Missing.model_rebuild(raise_errors=False)
    return seen


print(json.dumps(models()))
"""


def test_models_of_other_code_behave_exactly_as_without_the_bot() -> None:
    plain = run("", script=OTHERS)
    assert plain["node rebuild"] is True
    assert plain["node"] == {"child": {"value": 3}, "children": [{"child": None, "children": []}]}
    assert "Nowhere" in plain["missing"]
    assert run("import bot, bot.app", script=OTHERS) == plain
    assert run(LAZY, script=OTHERS) == plain


PYDANTIC_UNTOUCHED = """
from pydantic import BaseModel
before = dict(vars(BaseModel))
{first}
import aiogram
print(sorted(name for name, value in vars(BaseModel).items() if before.get(name, object()) is not value))
"""


def test_nothing_of_pydantic_stays_patched() -> None:
    done = run_python("-c", PYDANTIC_UNTOUCHED.format(first=LAZY))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_nothing_is_deferred_once_aiogram_was_imported() -> None:
    done = run_python("-c", "import aiogram\nfrom bot.lazy_types import import_aiogram_lazily\n"
                      "print(import_aiogram_lazily())")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
