"""The project's ASGI application: Django, with the live queue's SSE stream served in front of it.

Garbage collection: a server with thousands of open streams holds a large, long-lived heap; a full
collection walks all of it and stops every stream meanwhile (docs/live-queue-bench.md). Everything
imported at start-up is frozen out of the collector, and the youngest generation is collected less
often, so the many short-lived objects of a fan-out do not push collections into the old generation.
Reference counting frees almost everything anyway; the collector only finds cycles.
"""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buergerbuero.config.settings")

django_application = get_asgi_application()

from buergerbuero.queueing.asgi import live_streams  # noqa: E402  (needs the settings set up above)

application = live_streams(django_application)

GC_THRESHOLDS = (50_000, 20, 100)
gc.collect()
gc.freeze()
gc.set_threshold(*GC_THRESHOLDS)
