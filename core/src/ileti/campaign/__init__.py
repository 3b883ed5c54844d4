"""Campaigns: a durable outbox that sends each recipient at most once, and
exactly once wherever the gateway can be asked, across crashes and resumes.

>>> import ileti                                              # doctest: +SKIP
>>> client = ileti.Client.from_env("efecell")                 # doctest: +SKIP
>>> campaign = client.campaign("customers.csv", template="Sayın {name}, ...")  # doctest: +SKIP
>>> status = campaign.run(workers=4, rate=50)                 # doctest: +SKIP
>>> status.count("accepted")                                  # doctest: +SKIP

The state machine is in :mod:`ileti.campaign.states`, the store in
:mod:`ileti.campaign.store`, the engine in :mod:`ileti.campaign.engine`.
"""

from __future__ import annotations

from ileti.campaign.engine import Campaign, CampaignStatus, Progress
from ileti.campaign.source import InputError, Template
from ileti.campaign.states import TRANSITIONS, Event, FailureOutcome, RowState, after_failure
from ileti.campaign.store import (
    CampaignBusy,
    CampaignNotFound,
    CampaignRecord,
    CampaignStore,
    Row,
    SQLiteStore,
    default_store_path,
    open_store,
)

__all__ = [
    "TRANSITIONS",
    "Campaign",
    "CampaignBusy",
    "CampaignNotFound",
    "CampaignRecord",
    "CampaignStatus",
    "CampaignStore",
    "Event",
    "FailureOutcome",
    "InputError",
    "Progress",
    "Row",
    "RowState",
    "SQLiteStore",
    "Template",
    "after_failure",
    "default_store_path",
    "open_store",
]
