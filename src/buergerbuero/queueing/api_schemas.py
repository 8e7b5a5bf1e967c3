"""Response bodies of the live queue API (``queueing.api``)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class ErrorOut(Schema):
    code: str = Field(description="Stable machine-readable reason, e.g. office_not_found")
    message: str = Field(description="What is wrong, for people, in the language of the request")


class WalkInOut(Schema):
    estimate: int | None = Field(
        description="Predicted wait in minutes for someone drawing a ticket now; "
        "null: no estimate (no counter staffed or planned)"
    )
    low: int | None = Field(description="Lower end of the 80 % interval, minutes")
    high: int | None = Field(description="Upper end of the 80 % interval, minutes")


class LineOut(Schema):
    key: str = Field(description="The line's key within the office")
    name: str
    prefix: str = Field(description="Letters before the ticket numbers of this line, e.g. A")
    waiting: int = Field(description="Tickets waiting in this line now")
    stopped: bool = Field(description="True: no more tickets today for this line (ticket stop)")
    walk_in: WalkInOut
    services: list[str] = Field(description="Slugs of the catalogue services this line serves")


class QueueOfficeOut(Schema):
    id: str = Field(description="The office's public ID (UUID), as in the appointments API")
    municipality: str = Field(description="The municipality the office belongs to")
    municipality_slug: str
    name: str
    status: str = Field(description="open, ticket_stop (no more tickets today) or closed")
    stop_reason: str = Field(description="Why staff stopped tickets today; empty otherwise")
    next_opening: dt.datetime | None = Field(description="When a closed office opens next (within two weeks)")
    waiting: int = Field(description="People waiting in all lines now")
    open_counters: int = Field(description="Counters staffed and not paused now")
    lines: list[LineOut]
    url: str = Field(description="The office's public live queue page")
    updated_at: dt.datetime = Field(description="When these figures were computed (at most about 10 seconds ago)")
