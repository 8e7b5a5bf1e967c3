"""Running a test's async side in an event loop of its own.

``asyncio.run`` refuses to start while a loop runs in the calling thread — and once a Playwright
browser test ran, the sync Playwright API leaves one running in pytest's main thread. So the
scenario runs in a fresh thread with its own loop; its exception is raised here.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable


def run_in_own_loop(scenario: Callable[[], Awaitable[None]]) -> None:
    failure: list[BaseException] = []

    def main() -> None:
        try:
            asyncio.run(scenario())  # type: ignore[arg-type]
        except BaseException as error:  # handed to the test's thread
            failure.append(error)

    thread = threading.Thread(target=main, name="test-event-loop")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
