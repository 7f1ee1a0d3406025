"""Importing the package stays light and lazy (measured in fresh interpreters)."""

from __future__ import annotations

import json
import subprocess
import sys

SEED_IMPORTS = (
    "import binance.derivatives.cmfutures\n"
    "from binance.derivatives.cmfutures.models.cmfutures_create_listen_key_v1_resp import "
    "CmfuturesCreateListenKeyV1Resp\n"
    "from binance.derivatives.cmfutures.rest import ApiException\n"
)
HEAVY = (
    "aiohttp",
    "urllib3",
    "cryptography",
    "asyncio",
    "ssl",
    "binance.derivatives.cmfutures.simulator",
    "binance.derivatives.cmfutures.cli",
    "binance.derivatives.cmfutures.api.account_api",
)


def _loaded(code: str) -> dict[str, bool]:
    probe = code + (
        f"import sys, json\nprint(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_package_import_loads_nothing_heavy() -> None:
    loaded = _loaded("import binance.derivatives.cmfutures\n")
    assert not any(loaded.values()), loaded
    probe = "import sys, binance.derivatives.cmfutures\nprint('msgspec' in sys.modules)\n"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_seed_imports_load_no_transport_or_crypto() -> None:
    loaded = _loaded(SEED_IMPORTS)
    assert not any(loaded.values()), loaded


def test_sync_client_does_not_load_aiohttp() -> None:
    loaded = _loaded(
        SEED_IMPORTS
        + "cfg = binance.derivatives.cmfutures.Configuration(auth=binance.derivatives.cmfutures"
        ".BinanceAuth(api_key='k', secret_key='s'))\n"
        "c = binance.derivatives.cmfutures.ApiClient(cfg)\n"
        "binance.derivatives.cmfutures.UserDataStreamsApi(c)\n"
    )
    assert loaded["urllib3"] and not loaded["aiohttp"] and not loaded["cryptography"]
    assert not loaded["binance.derivatives.cmfutures.simulator"]
    assert not loaded["binance.derivatives.cmfutures.api.account_api"]


def test_seed_names_are_exported() -> None:
    code = (
        "import binance.derivatives.cmfutures as m\n"
        "names = ['Configuration','ApiClient','ApiResponse','UserDataStreamsApi','ApiException',"
        "'OpenApiException','ApiTypeError','ApiValueError','ApiKeyError','ApiAttributeError',"
        "'APIError','CmfuturesCreateListenKeyV1Resp','BinanceAuth','AsyncApiClient','AccountApi',"
        "'MarketDataApi','TradeApi']\n"
        "print(all(getattr(m, n) is not None for n in names), m.__version__)\n"
        "from binance.derivatives.cmfutures.signing import BinanceAuth, KeyType\n"
        "from binance.derivatives.cmfutures.api.user_data_streams_api import UserDataStreamsApi\n"
        "from binance.derivatives.cmfutures import api_response, configuration, exceptions, rest\n"
        "assert rest.ApiException is exceptions.ApiException\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "0.1.0"]
