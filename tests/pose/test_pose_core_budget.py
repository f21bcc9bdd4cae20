"""services/pose/core_budget.py: concurrent extractions share the cores, queue for them, and a caller that
stops waiting gives back what it held."""

from __future__ import annotations

import threading
import time

import pytest

from services.pose.core_budget import Cancelled, CoreBudget


def test_a_request_takes_at_most_every_core_and_at_least_one():
    budget = CoreBudget(2)
    assert budget.acquire(8) == 2        # more workers than cores: as many as there are
    budget.release(2)
    assert budget.acquire(0) == 1        # a request always gets one
    budget.release(1)
    assert CoreBudget(0).total == 1      # a machine reports at least one core


def test_a_second_request_waits_for_the_cores_the_first_gives_back():
    budget = CoreBudget(2)
    assert budget.acquire(2) == 2
    got: list[int] = []
    waiter = threading.Thread(target=lambda: got.append(budget.acquire(1)), daemon=True)
    waiter.start()
    time.sleep(0.3)
    assert got == []                     # queued, not oversubscribed
    budget.release(2)
    waiter.join(timeout=5)
    assert got == [1]
    budget.release(1)


def test_a_caller_that_stops_waiting_gives_back_the_cores_it_held():
    budget = CoreBudget(3)
    assert budget.acquire(2) == 2        # one core left
    with pytest.raises(Cancelled):
        budget.acquire(3, cancelled=lambda: True)   # took the last core, then gave up waiting for more
    budget.release(2)
    got: list[int] = []                  # nothing leaked: all three are free again (a leak would block)
    taker = threading.Thread(target=lambda: got.append(budget.acquire(3)), daemon=True)
    taker.start()
    taker.join(timeout=5)
    assert got == [3]
