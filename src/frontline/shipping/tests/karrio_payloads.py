"""Our own recorded carrier responses (payloads/), parsed by the karrio connectors' mappers
exactly as their proxies would hand them over (reference §1.5 A). No network, no mocks."""

from __future__ import annotations

from pathlib import Path

import karrio.lib as lib
import karrio.sdk as karrio

from frontline.shipping.karrio_adapter import FetchResult, parse_tracking_payload

PAYLOADS = Path(__file__).parent / "payloads"


def ups_gateway():
    # A cached OAuth token, so the gateway never tries to fetch one.
    return karrio.gateway["ups"].create(
        {"client_id": "x", "client_secret": "y", "account_number": "A1"},
        cache=lib.Cache(**{"ups|x|y": {"access_token": "t", "expiry": "2999-01-01 00:00:00"}}),
    )


def ups(name: str, tracking_number: str) -> FetchResult:
    raw = (PAYLOADS / name).read_text()
    response = lib.Deserializable([(tracking_number, raw)], lambda res: [(n, lib.to_dict(r)) for n, r in res])
    return parse_tracking_payload(ups_gateway(), response)


def dhl_express(name: str) -> FetchResult:
    gateway = karrio.gateway["dhl_express"].create({"site_id": "s", "password": "p", "account_number": "123"})
    raw = (PAYLOADS / name).read_text()
    return parse_tracking_payload(gateway, lib.Deserializable(raw, lib.to_element))
