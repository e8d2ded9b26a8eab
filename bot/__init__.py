"""A Telegram bot for chatting with an LLM and drawing images, built on aiogram 3 and `provider`.

Importing it changes nothing in the interpreter: the process-wide tunings (bot/lazy_types.py, bot/heap.py)
are opted into by the entry point, bot/__main__.py.
"""
