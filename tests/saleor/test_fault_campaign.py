"""The fault campaign's short run (benchmarks/faults, docs/faults.md): 99 notices
decided by the plugin's sweeps and hooks, delivered over the three transports by
real Celery workers while two are killed, their database connections are
terminated three times, the broker is down for a wave and the webhook receiver
answers 500, hangs and resets. It runs in a process of its own, as the benchmark
does, against this tier's database."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from saleor.channel.models import Channel

from saleor_cs_plugin.models import Notice

# Committed data on separate connections, as in the notice-worker tests.
from test_notice_worker import (  # noqa: F401 - fixtures
    db_access,
    default_customer_type,
    default_tax_class,
    site_settings,
)

pytestmark = pytest.mark.django_db(
    transaction=True, available_apps=["saleor_cs_plugin"]
)

CAMPAIGN = Path(__file__).resolve().parents[2] / "benchmarks" / "faults"
TRANSPORTS = {"webhook", "email", "saleor_notify"}
# 3 waves of 6 late orders, 3 short lines and 2 expired promoted codes per channel.
PER_TRANSPORT = 33


@pytest.fixture
def campaign(db_access, tmp_path):  # noqa: F811 - the imported fixture
    settings = connection.settings_dict
    result_path = tmp_path / "faults.json"
    completed = subprocess.run(
        [sys.executable, str(CAMPAIGN)],
        env={
            **os.environ,
            "DATABASE_URL": (
                f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
                f"{settings['PORT'] or 5432}/{settings['NAME']}"
            ),
            "FAULTS_SCALE": "short",
            "FAULTS_BASE_SETTINGS": "worker_settings",
            "FAULTS_JSON": str(result_path),
            "FAULTS_MEDIA_ROOT": str(tmp_path / "media"),
        },
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result_path.exists(), completed.stdout[-4000:] + completed.stderr[-4000:]
    return completed, json.loads(result_path.read_text())


def test_short_campaign_loses_no_notice_and_decides_each_once(campaign):
    completed, result = campaign
    rows = {row["transport"]: row for row in result["rows"]}
    print(result["table"])
    print(json.dumps({k: v for k, v in result.items() if k not in {"table", "rows"}}))

    # every fault happened as planned
    assert result["events"] == {
        "wave decided": 3,
        "broker stopped": 1,
        "broker started": 1,
        "worker killed": 2,
        "connections terminated": 3,
        "drain started": 1,
        "drain ended": 1,
    }
    assert result["terminated_backends"] >= 3
    assert result["decided_while_broker_down"] > 0
    outcomes = result["receiver_outcomes"]
    assert outcomes["error"] >= 2
    assert outcomes["hung"] >= 1
    assert outcomes["reset"] >= 1
    # a sweep fails only to queue its batches while the broker is down
    assert all(
        error.endswith("broker unreachable") for error in result["sweep_errors"]
    ), result["sweep_errors"]

    # each planned decision has exactly one notice
    assert result["decisions"] == {
        "planned": 99,
        "notices": 99,
        "decisions_with_several_notices": 0,
        "planned_without_notice": 0,
        "notices_not_planned": 0,
    }

    # nothing lost; the table's sums add up
    assert set(rows) == TRANSPORTS
    for transport, row in rows.items():
        assert row["decided"] == PER_TRANSPORT, transport
        assert (row["lost"], row["lost_ids"]) == (0, []), transport
        assert row["decided"] == (
            row["delivered"]
            + row["failed"]
            + row["skipped"]
            + row["pending"]
            + row["lost"]
        ), transport
        assert sum(row["failed_reasons"].values()) == row["failed"], transport
        assert row["repeated"] == row["repeated_same_key"], transport
        assert row["repeated_other_key"] == 0, transport
        assert sum(row["repeats_explained"].values()) >= row["repeated"], transport
        assert "unexplained" not in row["repeats_explained"], transport
    # the webhook receiver got every notice at least once, each post signed with
    # the notice's own key
    assert rows["webhook"]["posts"] >= PER_TRANSPORT
    assert completed.returncode == 0, completed.stdout[-4000:]
    # and the campaign removed its channels, orders and notices
    assert Channel.objects.filter(slug__startswith="faults-").count() == 0
    assert Notice.objects.filter(recipient_email__startswith="faults-").count() == 0
