"""The TLS settings of a :class:`~binance.derivatives.cmfutures.Configuration`, for aiohttp.

One function, used by the REST client (:class:`~binance.derivatives.cmfutures.AsyncApiClient`)
and the WebSocket of :class:`~binance.derivatives.cmfutures.UserDataStream`, so both verify
servers the same way.
"""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .configuration import Configuration

__all__ = ["ssl_argument"]


def ssl_argument(cfg: Configuration) -> ssl.SSLContext | bool:
    """aiohttp's ``ssl=`` value for ``cfg``.

    ``False`` when ``verify_ssl`` is off; a context trusting ``ssl_ca_cert`` / ``ca_cert_data``
    (and presenting ``cert_file`` / ``key_file``) when one is configured; otherwise ``True``
    (the system's default verification).
    """
    if not cfg.verify_ssl:
        return False
    if cfg.ssl_ca_cert or cfg.ca_cert_data or cfg.cert_file:
        context = ssl.create_default_context(
            cafile=cfg.ssl_ca_cert,
            cadata=cfg.ca_cert_data.decode()
            if isinstance(cfg.ca_cert_data, bytes)
            else cfg.ca_cert_data,
        )
        if cfg.cert_file:
            context.load_cert_chain(cfg.cert_file, cfg.key_file)
        return context
    return True
