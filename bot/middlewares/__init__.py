"""aiogram middlewares: cross-cutting rules applied before any handler runs."""
