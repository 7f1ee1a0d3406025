"""``CmfuturesCreateListenKeyV1Resp``: the body of ``POST /dapi/v1/listenKey``."""

from __future__ import annotations

import msgspec

from ._base import SeedModel

__all__ = ["CmfuturesCreateListenKeyV1Resp"]


class CmfuturesCreateListenKeyV1Resp(SeedModel, kw_only=True):
    """``{"listenKey": "<64 chars>"}``.

    :ivar listen_key: the listen key (wire name ``listenKey``); None if absent. A non-string
        value is a decoding error (the client raises ``InvalidResponseException``).
    """

    listen_key: str | None = msgspec.field(default=None, name="listenKey")
