"""REST models -> Snapshot conversion."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from binance.derivatives.cmfutures.mirror.snapshot import build_snapshot
from binance.derivatives.cmfutures.models.account import AccountInformation, Order, PositionRisk

ACCOUNT = b"""{"assets":[{"asset":"BTC","walletBalance":"0.52003769","crossWalletBalance":"0.5",
 "unrealizedProfit":"0.1","updateTime":1767225912004}],"positions":[],"canTrade":true}"""
RISK = b"""[{"symbol":"BTCUSD_PERP","positionAmt":"3","entryPrice":"64250.0",
 "breakEvenPrice":"64262.85","markPrice":"64000","unRealizedProfit":"-0.00001818",
 "leverage":"20","marginType":"isolated","isolatedMargin":"0.01998182",
 "isAutoAddMargin":"false","positionSide":"BOTH","updateTime":1767225912004},
 {"symbol":"ETHUSD_PERP","positionAmt":"0","entryPrice":"0","unRealizedProfit":"0",
 "leverage":"7","marginType":"cross","isolatedMargin":"0","positionSide":"BOTH","updateTime":0}]"""
ORDERS = b"""[{"avgPrice":"0","clientOrderId":"abc","cumBase":"0","executedQty":"1","orderId":42,
 "origQty":"3","origType":"LIMIT","price":"64250.0","reduceOnly":false,"side":"BUY",
 "positionSide":"BOTH","status":"PARTIALLY_FILLED","stopPrice":"0","closePosition":false,
 "symbol":"BTCUSD_PERP","time":1,"timeInForce":"GTC","type":"LIMIT","updateTime":5,
 "workingType":"CONTRACT_PRICE","priceProtect":false}]"""


def test_build_snapshot_from_rest_models() -> None:
    account = msgspec.json.decode(ACCOUNT, type=AccountInformation, strict=False)
    risk = msgspec.json.decode(RISK, type=list[PositionRisk], strict=False)
    orders = msgspec.json.decode(ORDERS, type=list[Order], strict=False)
    snap = build_snapshot(account, risk, orders)
    (btc,) = snap.balances
    assert (btc.wallet_balance, btc.cross_wallet_balance) == (Decimal("0.52003769"), Decimal("0.5"))
    assert btc.update_time == 1767225912004 and btc.event_time == 0
    iso, eth = snap.positions
    # REST isolatedMargin includes the unrealized PnL; the stream's iw does not
    assert iso.isolated_wallet == Decimal("0.02") and iso.margin_type == "isolated"
    assert iso.leverage == 20 and iso.break_even_price == Decimal("64262.85")
    assert eth.isolated_wallet == 0 and eth.leverage == 7
    assert snap.leverage == {"BTCUSD_PERP": 20, "ETHUSD_PERP": 7}
    (o,) = snap.orders
    assert (o.order_id, o.status, o.executed_quantity, o.original_quantity) == (
        42, "PARTIALLY_FILLED", Decimal(1), Decimal(3))
    assert o.order_type == "LIMIT" and o.update_time == 5 and o.event_time == 0
