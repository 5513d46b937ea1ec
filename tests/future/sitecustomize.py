"""Only for `make test-future` (on PYTHONPATH there): time.sleep that works under libfaketime.

The suite runs a year ahead with libfaketime and FAKETIME_DONT_FAKE_MONOTONIC=1 (a faked monotonic clock hangs every
timed lock wait). libfaketime 0.9.10 then turns Python 3.11+'s time.sleep, which is clock_nanosleep on the monotonic
clock with an absolute deadline, into EINVAL (libfaketime issue 426). A timed wait on a lock uses the same real
monotonic clock and is not touched, so sleep waits on one. Every Python process of the run loads this module,
the scheduler and server processes the tests start included.
"""

import os
import threading
import time

if "faketime" in os.environ.get("LD_PRELOAD", "") and os.environ.get("FAKETIME"):

    def _sleep(seconds: float) -> None:
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        threading.Event().wait(seconds)

    time.sleep = _sleep
