"""Benchmark: ``cmfutures_create_listen_key_v1`` over loopback vs raw urllib3; import time.

Run: ``python benchmarks/bench_rest.py [--calls N] [--repeats R]``. Prints a table. A small
aiohttp server in a background thread answers ``POST /dapi/v1/listenKey``; every variant hits
the same server over one keep-alive connection. Variants are interleaved (round-robin per
repetition) so drift affects them alike; the table shows the best and the median repetition.
Targets: every key type within 15 % of raw urllib3; the seed's three import lines <= 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable

LISTEN_KEY = "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"
SEED_IMPORTS = (
    "import binance.derivatives.cmfutures\n"
    "from binance.derivatives.cmfutures.models.cmfutures_create_listen_key_v1_resp import "
    "CmfuturesCreateListenKeyV1Resp\n"
    "from binance.derivatives.cmfutures.rest import ApiException\n"
)


def start_server() -> str:
    from aiohttp import web

    body = json.dumps({"listenKey": LISTEN_KEY}).encode()
    ready = threading.Event()
    url: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        return web.Response(
            body=body, content_type="application/json", headers={"X-MBX-USED-WEIGHT-1M": "1"}
        )

    def run() -> None:
        loop = asyncio.new_event_loop()
        app = web.Application()
        app.router.add_post("/dapi/v1/listenKey", handle)
        runner = web.AppRunner(app, access_log=None)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        url.append(f"http://127.0.0.1:{port}")
        ready.set()
        loop.run_forever()

    threading.Thread(target=run, daemon=True).start()
    ready.wait(10)
    return url[0]


def make_variants(url: str) -> dict[str, Callable[[], object]]:
    import urllib3
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    from binance.derivatives.cmfutures import (
        ApiClient,
        BinanceAuth,
        Configuration,
        UserDataStreamsApi,
    )

    pool = urllib3.PoolManager()

    def raw() -> object:
        resp = pool.request("POST", url + "/dapi/v1/listenKey", headers={"X-MBX-APIKEY": "k"})
        return json.loads(resp.data)["listenKey"]

    none = serialization.NoEncryption()
    pkcs8 = serialization.PrivateFormat.PKCS8
    rsa_pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, pkcs8, none
    )
    ed_pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, pkcs8, none
    )
    auths = {
        "HMAC": BinanceAuth(api_key="k", secret_key="s3cr3t"),
        "RSA-2048": BinanceAuth(api_key="k", private_key_pem=rsa_pem),
        "Ed25519": BinanceAuth(api_key="k", private_key_pem=ed_pem),
    }
    conn_pool = urllib3.connection_from_url(url)

    def raw_pool() -> object:
        resp = conn_pool.urlopen("POST", "/dapi/v1/listenKey", headers={"X-MBX-APIKEY": "k"})
        return json.loads(resp.data)["listenKey"]

    variants: dict[str, Callable[[], object]] = {
        "raw urllib3 + json.loads": raw,
        "raw urllib3 pool.urlopen": raw_pool,
    }
    for name, auth in auths.items():
        client = ApiClient(Configuration(host=url, auth=auth))
        api = UserDataStreamsApi(client)
        variants[f"SDK, {name}"] = api.cmfutures_create_listen_key_v1
    return variants


def bench_calls(calls: int, repeats: int) -> list[tuple[str, float, float]]:
    url = start_server()
    variants = make_variants(url)
    for fn in variants.values():  # warm-up
        for _ in range(200):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeats):
        for name, fn in variants.items():
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            samples[name].append((time.perf_counter() - start) / calls * 1e6)
    return [(n, min(s), statistics.median(s)) for n, s in samples.items()]


def bench_cpu(loops: int = 20000) -> list[tuple[str, float]]:
    """Client-side CPU per call with the socket replaced by a canned response."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
    from urllib3 import HTTPHeaderDict

    from binance.derivatives.cmfutures import (
        ApiClient,
        BinanceAuth,
        Configuration,
        UserDataStreamsApi,
    )
    from binance.derivatives.cmfutures._http.flow import RawResponse

    body = json.dumps({"listenKey": LISTEN_KEY}).encode()
    headers = HTTPHeaderDict({"Content-Type": "application/json", "X-MBX-USED-WEIGHT-1M": "1"})
    none, pkcs8 = serialization.NoEncryption(), serialization.PrivateFormat.PKCS8
    pems = {
        "RSA-2048": rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM, pkcs8, none
        ),
        "Ed25519": ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, pkcs8, none
        ),
    }
    auths = {"HMAC": BinanceAuth(api_key="k", secret_key="s")}
    auths.update({n: BinanceAuth(api_key="k", private_key_pem=p) for n, p in pems.items()})
    rows = []
    for name, auth in auths.items():
        client = ApiClient(Configuration(host="http://127.0.0.1:9", auth=auth))
        client.rest_client.send = lambda request: RawResponse(200, "OK", headers, body)  # type: ignore[method-assign]
        call = UserDataStreamsApi(client).cmfutures_create_listen_key_v1
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(loops):
                call()
            best = min(best, (time.perf_counter() - start) / loops * 1e6)
        rows.append((name, best))
    return rows


def bench_import(code: str, runs: int) -> tuple[float, float]:
    probe = "import time\n_t = time.perf_counter()\n" + code + "print(time.perf_counter() - _t)\n"
    times = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        )
        times.append(float(out.stdout.strip()) * 1000)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1500)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--import-runs", type=int, default=10)
    args = parser.parse_args()

    began = time.perf_counter()
    rows = bench_calls(args.calls, args.repeats)
    raw_best, floor_best = rows[0][1], rows[1][1]
    print(
        f"cmfutures_create_listen_key_v1 over loopback: {args.repeats} x {args.calls} calls,"
        " one keep-alive connection"
    )
    print(
        f"{'variant':<28} {'µs/call best':>13} {'median':>9} {'calls/s':>9} {'vs raw':>8}"
        f" {'vs pool':>8}  target (vs raw urllib3)"
    )
    for name, best, median in rows:
        ratio = best / raw_best - 1
        floor = best / floor_best - 1
        verdict = "" if name.startswith("raw") else ("ok (<=+15 %)" if ratio <= 0.15 else "MISSED")
        print(
            f"{name:<28} {best:>13.1f} {median:>9.1f} {1e6 / best:>9.0f} {ratio:>+7.1%}"
            f" {floor:>+7.1%}  {verdict}"
        )
    print()
    print("client-side CPU per call, socket stubbed out (best of 3 x 20000):")
    for name, cpu in bench_cpu():
        print(f"  SDK, {name:<10} {cpu:6.1f} µs")
    print("  (USER_STREAM: nothing is signed, so all key types cost the same)")
    print()
    print("'vs raw': against PoolManager.request (the usual raw urllib3 call); 'vs pool': against")
    print("HTTPConnectionPool.urlopen, the cheapest urllib3 path, which the SDK itself uses.")
    print()
    print(f"import time (fresh interpreter, best / median of {args.import_runs})")
    for label, code in (
        ("import binance.derivatives.cmfutures", "import binance.derivatives.cmfutures\n"),
        ("the seed's three import lines", SEED_IMPORTS),
        (
            "seed imports + ApiClient + UserDataStreamsApi",
            SEED_IMPORTS
            + "from binance.derivatives.cmfutures import ApiClient, UserDataStreamsApi\n",
        ),
    ):
        best, median = bench_import(code, args.import_runs)
        verdict = "ok (<=100 ms)" if best <= 100 else "MISSED"
        print(f"{label:<48} {best:>7.1f} ms {median:>7.1f} ms  {verdict}")
    print(f"\n(total benchmark time {time.perf_counter() - began:.1f} s)")


if __name__ == "__main__":
    main()
