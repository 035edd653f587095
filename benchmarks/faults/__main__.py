"""Runs the fault campaign and prints its table.

    python benchmarks/faults            the full campaign (FAULTS_SCALE=full)
    FAULTS_SCALE=short python benchmarks/faults

DATABASE_URL is the database (the benchmarks' one under ``benchmarks/run``);
FAULTS_JSON=<file> also writes the results as JSON; FAULTS_KEEP=1 keeps the store
it made. Exits with 1 when a notice was lost, a webhook repeat carried another key
or a decision has two notices.
"""

import json
import os
import sys
import tempfile
from pathlib import Path

here = Path(__file__).resolve().parent
root = here.parents[1]
paths = [str(here), str(root / "benchmarks"), str(root / "tests" / "saleor")]
sys.path[:0] = [p for p in paths if p not in sys.path]
os.environ["PYTHONPATH"] = os.pathsep.join(
    [*paths, *filter(None, [os.environ.get("PYTHONPATH")])]
)

from broker import CAMPAIGN_APPLICATION, Broker  # noqa: E402
from scales import FULL, SHORT  # noqa: E402

scale = {"full": FULL, "short": SHORT}[os.environ.get("FAULTS_SCALE", "full")]
database_url = os.environ["DATABASE_URL"].split("?")[0]
broker = Broker().start()
os.environ["CELERY_BROKER_URL"] = broker.url
os.environ["DATABASE_URL"] = f"{database_url}?application_name={CAMPAIGN_APPLICATION}"
os.environ["DJANGO_SETTINGS_MODULE"] = "campaign_settings"
os.environ.setdefault(
    "FAULTS_MEDIA_ROOT", str(Path(tempfile.gettempdir()) / "faults-media")
)

import django  # noqa: E402

django.setup()

import campaign  # noqa: E402

try:
    print(
        f"Fault campaign ({scale.name}): {scale.planned} planned notices over "
        f"{scale.waves} waves, {scale.workers} workers",
        flush=True,
    )
    result = campaign.run(scale, broker, database_url)
finally:
    broker.stop()

print(result["table"])
summary = {k: v for k, v in result.items() if k not in {"table", "rows"}}
print(json.dumps(summary, indent=2, default=str))
for row in result["rows"]:
    if row["repeats_explained"] or row["handed_not_posted"] or row["lost_ids"]:
        print(
            f"{row['transport']}: repeats {row['repeats_explained']}, handed to Saleor "
            f"not yet posted {row['handed_not_posted']}, lost {row['lost_ids']}"
        )
if os.environ.get("FAULTS_JSON"):
    Path(os.environ["FAULTS_JSON"]).write_text(
        json.dumps(result, indent=2, default=str)
    )
decisions = result["decisions"]
is_proven = (
    all(row["lost"] == 0 and row["repeated_other_key"] == 0 for row in result["rows"])
    and decisions["decisions_with_several_notices"] == 0
    and decisions["planned_without_notice"] == 0
)
sys.exit(0 if is_proven else 1)
