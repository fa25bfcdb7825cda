"""Inventory config that cannot oversell: shares are percentages from 0 to 100, stock figures whole units of 0
or more, every pooled store a channel or excluded; each problem named with the file, the key path and the fix."""

from __future__ import annotations

import subprocess
import sys

import pytest
from test_config import ENV, MINIMAL, problems, write

from connector.config import load_config

CHANNELS = """
[inventory]
source_of_truth = "fr"
[inventory.channels.fr]
[inventory.channels.global]
"""


def with_channels(**global_rules) -> str:
    rules = "".join(f"{key} = {value}\n" for key, value in global_rules.items())
    return MINIMAL + CHANNELS + rules


@pytest.mark.parametrize(
    ("rules", "key", "message"),
    [
        (
            {"share": 150},
            "share",
            "a share is the percent of the pool a channel shows, from 0 to 100 (got 150)",
        ),
        ({"share": -5}, "share", "from 0 to 100"),
        ({"share": '"50"'}, "share", "from 0 to 100 (got '50')"),
        ({"buffer": -1}, "buffer", "write a whole number of units, 0 or more (got -1)"),
        (
            {"max_quantity": 2.5},
            "max_quantity",
            "write a whole number of units, 0 or more (got Decimal('2.5'))",
        ),
        ({"zero_below": "true"}, "zero_below", "write a whole number of units, 0 or more (got True)"),
    ],
)
def test_channel_rules_that_could_oversell_are_refused(tmp_path, rules, key, message):
    found = problems(tmp_path, with_channels(**rules))
    assert any(p.startswith(f"inventory.channels.global.{key}: ") and message in p for p in found), found


def test_shares_may_add_up_to_more_than_100_and_whole_decimals_are_units(tmp_path):
    text = MINIMAL + CHANNELS.replace("[inventory.channels.fr]\n", "[inventory.channels.fr]\nshare = 80\n")
    text += "share = 80\nbuffer = 2.0\nmax_quantity = 0\n"
    config = load_config(write(tmp_path, text), environ=ENV)
    assert config.inventory.channels["global"].buffer == 2 and config.inventory.channels["fr"].share == 80


def test_excluded_stores_must_exist_and_not_be_channels(tmp_path):
    found = problems(
        tmp_path,
        MINIMAL
        + CHANNELS.replace(
            "\n[inventory.channels", '\nexcluded = ["global", "glob"]\n[inventory.channels', 1
        ),
    )
    assert (
        "inventory.excluded.0: 'global' is also an inventory channel; remove it from one of the two" in found
    )
    assert any(
        p.startswith("inventory.excluded.1: no store named 'glob'; use one of the [stores.*] names")
        for p in found
    )


def test_the_source_of_truth_must_be_a_channel(tmp_path):
    text = MINIMAL + CHANNELS.replace("[inventory.channels.fr]\n", "")
    found = problems(tmp_path, text)
    assert (
        "inventory.source_of_truth: 'fr' is not one of the inventory channels (global); "
        "make it a channel or name one of them"
    ) in found


def test_drop_limits_are_a_share_and_whole_units(tmp_path):
    text = MINIMAL + CHANNELS.replace(
        "\n[inventory.channels", "\nmax_drop_percent = 120\nmax_drop_units = -3\n[inventory.channels", 1
    )
    found = problems(tmp_path, text)
    assert any(p.startswith("inventory.max_drop_percent: a share is the percent") for p in found), found
    assert any(p.startswith("inventory.max_drop_units: write a whole number of units") for p in found), found


def test_sync_inventory_with_a_share_of_150_exits_2_naming_file_key_and_fix(tmp_path):
    path = write(tmp_path, with_channels(share=150))
    finished = subprocess.run(
        [sys.executable, "-m", "connector.cli", "sync", "inventory", "-c", str(path)],
        env={**ENV, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 2
    assert f"{path}: inventory.channels.global.share: a share is the percent of the pool" in finished.stderr
    assert "Traceback" not in finished.stderr and finished.stdout == ""
