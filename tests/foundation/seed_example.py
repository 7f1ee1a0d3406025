# ruff: noqa
# fmt: off
"""The seed page's three example programs (shared/seed/UserDataStreamsApi.md), run in order.

Verbatim, except for two things (see tests/foundation/test_seed_example.py):

* ``import os`` is added as a preamble: the seed calls ``os.getenv`` without importing ``os``
  (seed-contract §1.1), so a user necessarily supplies it.
* The key source: the seed hard-codes ``private_key_path="/path/to/private_key.pem"`` (a
  placeholder) and comments out ``secret_key=``. To run the same program with HMAC, RSA and
  Ed25519 keys without writing to ``/path/to``, both lines read the environment:
  ``secret_key=os.getenv("BINANCE_SECRET_KEY")`` and
  ``private_key_path=os.getenv("BINANCE_PRIVATE_KEY_PATH")``; exactly one is set per run
  (``None`` counts as "not given"). Nothing else differs: both Configurations are built,
  the second one without ``host`` (so ``BINANCE_CMFUTURES_HOST`` decides where it goes).
"""

import os  # the seed's implicit preamble

# ----------------------------------------------------------------------

import binance.derivatives.cmfutures
from binance.derivatives.cmfutures.models.cmfutures_create_listen_key_v1_resp import CmfuturesCreateListenKeyV1Resp
from binance.derivatives.cmfutures.rest import ApiException
from pprint import pprint

# Defining the host is optional and defaults to https://dapi.binance.com
# See configuration.py for a list of all supported configuration parameters.
configuration = binance.derivatives.cmfutures.Configuration(
    host = "https://dapi.binance.com"
)

# The client must configure the authentication and authorization parameters
# in accordance with the API server security policy.
# Examples for each auth method are provided below, use the example that
# satisfies your auth use case.
configuration = binance.derivatives.cmfutures.Configuration(
    auth=binance.derivatives.cmfutures.BinanceAuth(
        api_key=os.getenv("BINANCE_API_KEY"),
        secret_key=os.getenv("BINANCE_SECRET_KEY"), # if you want to use HMAC auth
        private_key_path=os.getenv("BINANCE_PRIVATE_KEY_PATH"), # Automatically detects RSA/Ed25519 private keys
    ),
)

# Enter a context with an instance of the API client
with binance.derivatives.cmfutures.ApiClient(configuration) as api_client:
    # Create an instance of the API class
    api_instance = binance.derivatives.cmfutures.UserDataStreamsApi(api_client)

    try:
        # Start User Data Stream (USER_STREAM)
        api_response = api_instance.cmfutures_create_listen_key_v1()
        print("The response of UserDataStreamsApi->cmfutures_create_listen_key_v1:\n")
        pprint(api_response)
    except Exception as e:
        print("Exception when calling UserDataStreamsApi->cmfutures_create_listen_key_v1: %s\n" % e)

# ----------------------------------------------------------------------

import binance.derivatives.cmfutures
from binance.derivatives.cmfutures.rest import ApiException
from pprint import pprint

# Defining the host is optional and defaults to https://dapi.binance.com
# See configuration.py for a list of all supported configuration parameters.
configuration = binance.derivatives.cmfutures.Configuration(
    host = "https://dapi.binance.com"
)

# The client must configure the authentication and authorization parameters
# in accordance with the API server security policy.
# Examples for each auth method are provided below, use the example that
# satisfies your auth use case.
configuration = binance.derivatives.cmfutures.Configuration(
    auth=binance.derivatives.cmfutures.BinanceAuth(
        api_key=os.getenv("BINANCE_API_KEY"),
        secret_key=os.getenv("BINANCE_SECRET_KEY"), # if you want to use HMAC auth
        private_key_path=os.getenv("BINANCE_PRIVATE_KEY_PATH"), # Automatically detects RSA/Ed25519 private keys
    ),
)

# Enter a context with an instance of the API client
with binance.derivatives.cmfutures.ApiClient(configuration) as api_client:
    # Create an instance of the API class
    api_instance = binance.derivatives.cmfutures.UserDataStreamsApi(api_client)

    try:
        # Close User Data Stream(USER_STREAM)
        api_response = api_instance.cmfutures_delete_listen_key_v1()
        print("The response of UserDataStreamsApi->cmfutures_delete_listen_key_v1:\n")
        pprint(api_response)
    except Exception as e:
        print("Exception when calling UserDataStreamsApi->cmfutures_delete_listen_key_v1: %s\n" % e)

# ----------------------------------------------------------------------

import binance.derivatives.cmfutures
from binance.derivatives.cmfutures.rest import ApiException
from pprint import pprint

# Defining the host is optional and defaults to https://dapi.binance.com
# See configuration.py for a list of all supported configuration parameters.
configuration = binance.derivatives.cmfutures.Configuration(
    host = "https://dapi.binance.com"
)

# The client must configure the authentication and authorization parameters
# in accordance with the API server security policy.
# Examples for each auth method are provided below, use the example that
# satisfies your auth use case.
configuration = binance.derivatives.cmfutures.Configuration(
    auth=binance.derivatives.cmfutures.BinanceAuth(
        api_key=os.getenv("BINANCE_API_KEY"),
        secret_key=os.getenv("BINANCE_SECRET_KEY"), # if you want to use HMAC auth
        private_key_path=os.getenv("BINANCE_PRIVATE_KEY_PATH"), # Automatically detects RSA/Ed25519 private keys
    ),
)

# Enter a context with an instance of the API client
with binance.derivatives.cmfutures.ApiClient(configuration) as api_client:
    # Create an instance of the API class
    api_instance = binance.derivatives.cmfutures.UserDataStreamsApi(api_client)

    try:
        # Keepalive User Data Stream (USER_STREAM)
        api_response = api_instance.cmfutures_update_listen_key_v1()
        print("The response of UserDataStreamsApi->cmfutures_update_listen_key_v1:\n")
        pprint(api_response)
    except Exception as e:
        print("Exception when calling UserDataStreamsApi->cmfutures_update_listen_key_v1: %s\n" % e)
