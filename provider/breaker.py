"""A circuit breaker for one capability of one provider, as a failover chain keeps them.

After ``threshold`` consecutive failures that say the service is unwell the breaker opens: the provider is
left out for ``cooldown`` seconds, so a dead service costs no request (and no timeout) per message; then
a single trial request decides. A refused request (a 4xx) does not move it: the service is up.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .errors import ProviderError

logger = logging.getLogger(__name__)

BreakerState = Literal["closed", "open", "half-open"]


@dataclass(frozen=True)
class CapabilityStatus:
    """The health and counters of one capability (chat or images) of a member."""

    state: BreakerState  # closed: in use; open: skipped; half-open: cool-down over, next request is a trial
    healthy: bool  # no failure since its last success
    failures: int  # consecutive failures that said the service is unwell (refused requests do not count)
    retry_in: float | None  # seconds until it is tried again (0 when half-open); None when closed
    requests: int  # requests actually sent since start (a skip costs none)
    errors: int  # of those, the ones that failed, for any reason
    last_error: str | None  # the reason of its latest failure, if any


class CircuitOpenError(ProviderError):
    """A member skipped without any request: its breaker is open after repeated failures."""

    def __init__(self, label: str, *, retry_in: float, failures: int, last_error: ProviderError | None) -> None:
        if retry_in > 0:
            reason = f"{label} is skipped for {math.ceil(retry_in)} s after {failures} failures"
        else:
            reason = f"{label} is skipped while a trial request is under way"
        last = last_error.reason if last_error is not None else None
        super().__init__(reason, provider=label, detail=f"last error: {last}" if last else None)
        self.retry_in = retry_in
        self.last_error = last_error


class Breaker:
    """One capability's breaker and counters; owned by one chain, so nothing is shared globally."""

    def __init__(self, label: str, *, threshold: int, cooldown: float, clock: Callable[[], float]) -> None:
        self.label = label
        self.threshold = threshold
        self.cooldown = cooldown
        self.clock = clock
        self.failures = 0
        self.open_until: float | None = None  # set while the breaker is open (or half-open, once passed)
        self.trial = False  # a half-open trial request is under way
        self.requests = 0
        self.errors = 0
        self.last_error: ProviderError | None = None

    def status(self, now: float) -> CapabilityStatus:
        state: BreakerState = "closed"
        retry_in: float | None = None
        if self.open_until is not None:
            retry_in = max(0.0, self.open_until - now)
            state = "open" if retry_in > 0 else "half-open"
        last = self.last_error.reason if self.last_error is not None else None
        return CapabilityStatus(state, self.failures == 0, self.failures, retry_in, self.requests, self.errors, last)

    def admit(self) -> CircuitOpenError | None:
        """None if a request may go now (counted, claiming the half-open trial), else why it is skipped."""
        if self.open_until is not None:
            retry_in = self.open_until - self.clock()
            if retry_in > 0 or self.trial:
                return CircuitOpenError(
                    self.label, retry_in=max(0.0, retry_in), failures=self.failures, last_error=self.last_error
                )
            self.trial = True
            logger.info("%s: cool-down over, sending a trial request", self.label)
        self.requests += 1
        return None

    def failed(self, error: ProviderError) -> None:
        """Count the error; only one that says the service is unwell moves the breaker (see ``transient``)."""
        self.errors += 1
        self.last_error = error
        self.trial = False
        if not error.transient:
            return
        self.failures += 1
        if self.failures >= self.threshold:
            self.open_until = self.clock() + self.cooldown
            logger.warning(
                "%s failed %d times in a row; skipping it for %g s", self.label, self.failures, self.cooldown
            )

    def succeeded(self) -> None:
        if self.open_until is not None:
            logger.info("%s answered again; back in use", self.label)
        self.failures = 0
        self.open_until = None
        self.trial = False
