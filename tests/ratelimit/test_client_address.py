"""Which address a request is counted against."""

import ipaddress

import pytest

from app.ratelimit.client import UNKNOWN_CLIENT, ClientAddress

PROXY = "10.0.0.5"
TRUSTED = [ipaddress.ip_network("10.0.0.0/24"), ipaddress.ip_network("2001:db8:ffff::/48")]


def test_without_trusted_proxies_the_peer_is_the_client():
    assert ClientAddress([]).resolve("203.0.113.10", ["198.51.100.1"]) == "203.0.113.10"


def test_forwarded_for_from_an_untrusted_peer_is_ignored():
    assert ClientAddress(TRUSTED).resolve("203.0.113.10", ["198.51.100.1"]) == "203.0.113.10"


def test_a_trusted_proxy_names_the_client():
    assert ClientAddress(TRUSTED).resolve(PROXY, ["198.51.100.1"]) == "198.51.100.1"


def test_the_rightmost_untrusted_hop_wins_over_what_the_caller_wrote():
    # The caller sent "X-Forwarded-For: 1.2.3.4"; our proxy appended the address it saw.
    assert ClientAddress(TRUSTED).resolve(PROXY, ["1.2.3.4, 198.51.100.1"]) == "198.51.100.1"


def test_chains_of_trusted_proxies_are_skipped():
    assert ClientAddress(TRUSTED).resolve(PROXY, ["1.2.3.4, 198.51.100.1, 10.0.0.9"]) == "198.51.100.1"


def test_repeated_headers_are_read_as_one_list():
    assert ClientAddress(TRUSTED).resolve(PROXY, ["1.2.3.4", "198.51.100.1"]) == "198.51.100.1"


def test_a_trusted_proxy_without_forwarded_for_is_the_client():
    assert ClientAddress(TRUSTED).resolve(PROXY, []) == PROXY


def test_when_every_hop_is_trusted_the_leftmost_is_the_client():
    assert ClientAddress(TRUSTED).resolve(PROXY, ["10.0.0.7, 10.0.0.8"]) == "10.0.0.7"


def test_garbage_in_forwarded_for_falls_back_to_the_last_trusted_hop():
    assert ClientAddress(TRUSTED).resolve(PROXY, ["198.51.100.1, not-an-ip"]) == PROXY


@pytest.mark.parametrize(
    ("hop", "client"),
    [
        ("198.51.100.1:4711", "198.51.100.1"),
        ("[2001:db8::1]:443", "2001:db8::/64"),
        ("::ffff:198.51.100.1", "198.51.100.1"),
    ],
)
def test_addresses_with_ports_and_mapped_addresses_are_understood(hop, client):
    assert ClientAddress(TRUSTED).resolve(PROXY, [hop]) == client


def test_ipv6_clients_are_counted_per_64_network():
    resolver = ClientAddress([])
    assert resolver.resolve("2001:db8:1:2:aaaa::1", []) == "2001:db8:1:2::/64"
    assert resolver.resolve("2001:db8:1:2:bbbb::9", []) == "2001:db8:1:2::/64"
    assert resolver.resolve("2001:db8:1:3::1", []) == "2001:db8:1:3::/64"


def test_a_request_without_a_peer_address_shares_one_key():
    assert ClientAddress(TRUSTED).resolve(None, ["198.51.100.1"]) == UNKNOWN_CLIENT
