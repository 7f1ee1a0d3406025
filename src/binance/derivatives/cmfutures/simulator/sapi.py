"""The two spot-wallet (``/sapi``) reads that ccxt's ``binancecoinm`` makes in
``load_markets()`` when it has API keys (its default ``fetchCurrencies``/``fetchMargins``):
``GET /sapi/v1/capital/config/getall`` and ``GET /sapi/v1/margin/allPairs``.

Binance serves them on the spot host; the simulator answers them on its one host so that
ccxt runs with default options once its URLs point here. Minimal but in Binance's documented
shape: one row per coin of the COIN-M contracts (BTC, ETH), with the spot wallet empty
(``"0"`` amounts: the simulator has no spot wallet) and one native network; no cross-margin
pairs (``[]``: the simulator has no spot margin).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["capital_config_rows", "margin_all_pairs"]

_COINS: dict[str, tuple[str, str, str]] = {
    # coin: (name, network name, address regex)
    "BTC": ("Bitcoin", "BTC", "^[13][a-km-zA-HJ-NP-Z1-9]{25,34}$|^(bc1)[0-9A-Za-z]{39,59}$"),
    "ETH": ("Ethereum", "Ethereum (ERC20)", "^(0x)[0-9A-Fa-f]{40}$"),
}


def capital_config_rows(coins: Iterable[str]) -> list[dict[str, Any]]:
    """``GET /sapi/v1/capital/config/getall`` rows for ``coins`` (unknown coins get the
    coin's code as name and network)."""
    rows = []
    for coin in sorted(set(coins)):
        name, network_name, regex = _COINS.get(coin, (coin, coin, ""))
        rows.append({
            "coin": coin,
            "depositAllEnable": True,
            "withdrawAllEnable": True,
            "name": name,
            "free": "0",
            "locked": "0",
            "freeze": "0",
            "withdrawing": "0",
            "ipoing": "0",
            "ipoable": "0",
            "storage": "0",
            "isLegalMoney": False,
            "trading": True,
            "networkList": [{
                "network": coin,
                "coin": coin,
                "withdrawIntegerMultiple": "0.00000001",
                "isDefault": True,
                "depositEnable": True,
                "withdrawEnable": True,
                "depositDesc": "",
                "withdrawDesc": "",
                "specialTips": "",
                "name": network_name,
                "resetAddressStatus": False,
                "addressRegex": regex,
                "memoRegex": "",
                "withdrawFee": "0.0000021" if coin == "BTC" else "0.00078",
                "withdrawMin": "0.0001" if coin == "BTC" else "0.0015",
                "withdrawMax": "9999999999.99999999",
                "minConfirm": 1,
                "unLockConfirm": 0,
                "sameAddress": False,
                "estimatedArrivalTime": 5,
                "busy": False,
            }],
        })
    return rows


def margin_all_pairs() -> list[dict[str, Any]]:
    """``GET /sapi/v1/margin/allPairs``: no cross-margin pairs in the simulator."""
    return []
