"""Job handlers by name. Each app declares its handlers in `<app>/jobs.py` (autodiscovered
by the outbox app), so a job names its handler and the relay finds the function."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[..., Any]
_handlers: dict[str, Handler] = {}


def handler(name: str) -> Callable[[Handler], Handler]:
    """Register `fn` as the handler of jobs named `name`. It receives the job's payload as
    keyword arguments, runs inside the transaction that deletes the job, and must be safe
    to run again (a relay may die after an effect outside the database, e.g. an e-mail)."""

    def register(fn: Handler) -> Handler:
        if _handlers.get(name, fn) is not fn:
            raise RuntimeError(f"Two outbox handlers are named {name!r}.")
        _handlers[name] = fn
        return fn

    return register


def get(name: str) -> Handler:
    try:
        return _handlers[name]
    except KeyError:
        raise LookupError(f"No outbox handler is named {name!r}.") from None


def names() -> frozenset[str]:
    return frozenset(_handlers)
