"""Keep the measured server on a core of its own.

With the app server, the resource server and the load generator on two
shared cores, the app's CPU per request swings by 10-20 % from run to run
(the scheduler moves it around and it waits on the others). Pinning the app
to the first core and everything else to the last one removes most of that.
"""

from __future__ import annotations

import os

#: The core the measured app server gets.
APP_CPU = 0


def pin(role: str) -> None:
    """Pin this process: ``"app"`` to the first core, anything else to the last.

    A no-op on a single core or where affinity cannot be set.
    """
    count = os.cpu_count() or 1
    if count < 2 or not hasattr(os, "sched_setaffinity"):
        return
    os.sched_setaffinity(0, {APP_CPU} if role == "app" else {count - 1})
