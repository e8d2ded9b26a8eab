"""Every text the bot itself says, in one place (Telegram HTML; values are escaped here).

Each text is a function, not a constant: a constant would be translated once, at import, in no one's
language. The English strings are gettext msgids, translated in `bot/locales/`; see README's "Languages".
Model answers and provider error reasons are never translated, only framed.

This package is split by feature; every text is read as `texts.name` from here.
"""

from .conversation import *  # noqa: F403
from .core import *  # noqa: F403
from .drawing import *  # noqa: F403
from .media import *  # noqa: F403
from .status import *  # noqa: F403
