"""The load: storefront clients against ``bin/serve``'s ASGI server, with the plugin
switched on and off in its channel between phases of one run.

Each client is one signed-in customer with checkouts of their own. In turn with a
shopper's pause it calls Saleor's ``checkoutAddPromoCode``, the plugin's
``serviceCouponApply`` (both with codes that always apply, alternating between two so
that every call changes the checkout's code) and ``me { serviceHistory }`` (a page of
20 entries). A response is an error when it is not HTTP 200, carries GraphQL errors or
mutation errors, or does not show what was asked: the code applied, the page full,
and ``serviceCouponApply``'s diagnosis present exactly when the plugin was active
(the plugin's own path gives one, Saleor's path without it none), which proves that
each phase ran in the mode it is counted under.

The phases (``LOAD_PHASES``, A = plugin active, I = inactive, default ``AIIAIAAI``,
each ``LOAD_PHASE_SECONDS`` long) follow a warm-up in both modes. The switch is
Saleor's ``pluginUpdate`` for the channel, sent by staff; a request that was in flight
while the plugin was being switched is counted for errors but not timed. At the end
it prints p50, p95 and p99 per operation and mode, the errors, the ratio of the p95s
and the load average, and writes every timed request to ``LOAD_SAMPLES`` (CSV).

Runs in a virtualenv of its own (locust's gevent patches the standard library), from
``benchmarks/load/run``; the store comes from ``prepare.py`` through ``LOAD_STORE``.
"""

import csv
import itertools
import json
import os
import time

import gevent
import requests
from locust import FastHttpUser, between, events, task

STORE_PATH = os.environ["LOAD_STORE"]
SAMPLES_PATH = os.environ.get("LOAD_SAMPLES", "")
PHASE_ORDER = os.environ.get("LOAD_PHASES", "AIIAIAAI")
PHASE_SECONDS = float(os.environ.get("LOAD_PHASE_SECONDS", "30"))
WARM_UP_SECONDS = float(os.environ.get("LOAD_WARM_UP_SECONDS", "60"))
THINK_SECONDS = tuple(
    float(value) for value in os.environ.get("LOAD_THINK_SECONDS", "0.5-1.5").split("-")
)
GOAL = 1.10
MODES = {"A": "active", "I": "inactive"}
OPERATIONS = ("checkoutAddPromoCode", "serviceCouponApply", "me.serviceHistory")

with open(STORE_PATH, encoding="utf-8") as file:
    STORE = json.load(file)

CHECKOUT_ADD_PROMO_CODE = """
mutation ($id: ID!, $promoCode: String!) {
  checkoutAddPromoCode(id: $id, promoCode: $promoCode) {
    checkout { voucherCode discount { amount } totalPrice { gross { amount } } }
    errors { field code message }
  }
}
"""

SERVICE_COUPON_APPLY = """
mutation ($id: ID!, $code: String!) {
  serviceCouponApply(id: $id, code: $code) {
    checkout { voucherCode discount { amount } totalPrice { gross { amount } } }
    diagnosis { isValid discount { amount } }
    errors { field code message }
  }
}
"""

SERVICE_HISTORY = """
query ($first: Int!) {
  me { serviceHistory(first: $first) { edges { node { type createdAt message } } } }
}
"""

PLUGIN_UPDATE = """
mutation ($id: ID!, $channelId: ID!, $active: Boolean!) {
  pluginUpdate(id: $id, channelId: $channelId, input: {active: $active}) {
    plugin { channelConfigurations { active channel { slug } } }
    errors { field code message }
  }
}
"""


class Phases:
    """Which phase is running. ``index`` is None in the warm-up and while the plugin
    is being switched (nothing is timed then); ``mode`` is None only while switching."""

    index: int | None = None
    mode: str | None = None
    load_averages: list[tuple[str, tuple[float, float, float]]] = []


class Results:
    samples: list[tuple[int, str, str, float]] = []  # phase, mode, operation, seconds
    # operation -> (mode when sent, or None while switching; the problem)
    errors: dict[str, list[tuple[str | None, str]]] = {op: [] for op in OPERATIONS}
    untimed: dict[str, int] = {operation: 0 for operation in OPERATIONS}


CUSTOMERS = itertools.count()
STARTED = []  # one item per client started


def switch_plugin(host: str, mode: str) -> None:
    response = requests.post(
        f"{host}/graphql/",
        json={
            "query": PLUGIN_UPDATE,
            "variables": {
                "id": STORE["pluginId"],
                "channelId": STORE["channelId"],
                "active": mode == "A",
            },
        },
        headers={"Authorization": f"Bearer {STORE['staffToken']}"},
        timeout=60,
    )
    response.raise_for_status()
    content = response.json()
    payload = content.get("data", {}) and content["data"]["pluginUpdate"]
    if content.get("errors") or not payload or payload["errors"]:
        raise RuntimeError(f"pluginUpdate failed: {content}")
    states = [
        item["active"]
        for item in payload["plugin"]["channelConfigurations"]
        if item["channel"]["slug"] == STORE["channelSlug"]
    ]
    if states != [mode == "A"]:
        raise RuntimeError(f"pluginUpdate left the channel's plugin at {states}")


def run_phases(environment) -> None:
    host = environment.host.rstrip("/")
    try:
        for mode in ("A", "I"):
            Phases.mode = None
            switch_plugin(host, mode)
            Phases.mode = mode
            gevent.sleep(WARM_UP_SECONDS / 2)
        Phases.load_averages.append(("after the warm-up", os.getloadavg()))
        for index, mode in enumerate(PHASE_ORDER):
            if mode != Phases.mode:
                Phases.index = Phases.mode = None
                switch_plugin(host, mode)
            Phases.index, Phases.mode = index, mode
            gevent.sleep(PHASE_SECONDS)
            Phases.load_averages.append(
                (f"phase {index + 1} ({MODES[mode]})", os.getloadavg())
            )
        Phases.index = None
    finally:
        environment.runner.quit()


@events.test_start.add_listener
def start_phases(environment, **_kwargs):
    for mode in PHASE_ORDER:
        if mode not in MODES:
            raise ValueError(
                f"LOAD_PHASES: {mode!r} is neither A (active) nor I (inactive)"
            )
    Phases.load_averages.append(("at the start", os.getloadavg()))
    gevent.spawn(run_phases, environment)


class Shopper(FastHttpUser):
    wait_time = between(*THINK_SECONDS)

    def on_start(self):
        number = next(CUSTOMERS)
        STARTED.append(number)
        customers = STORE["customers"]
        if number >= len(customers):
            raise RuntimeError(f"{len(customers)} customers prepared for more clients")
        customer = customers[number]
        self.headers = {"Authorization": f"Bearer {customer['token']}"}
        self.checkout_ids = itertools.cycle(customer["checkoutIds"])
        # Which of the two codes each checkout gets next.
        self.next_code = dict.fromkeys(customer["checkoutIds"], 0)

    def next_checkout(self) -> tuple[str, str]:
        checkout_id = next(self.checkout_ids)
        number = self.next_code[checkout_id]
        self.next_code[checkout_id] = 1 - number
        return checkout_id, STORE["codes"][number]

    def call(self, operation, query, variables, check):
        index, mode = Phases.index, Phases.mode
        begin = time.perf_counter()
        with self.client.post(
            "/graphql/",
            json={"query": query, "variables": variables},
            headers=self.headers,
            name=operation,
            catch_response=True,
        ) as response:
            elapsed = time.perf_counter() - begin
            is_same_phase = (index, mode) == (Phases.index, Phases.mode)
            problem = problem_of(response, check, mode if is_same_phase else None)
            if problem:
                response.failure(problem)
                Results.errors[operation].append((mode, problem))
            else:
                response.success()
        if is_same_phase and index is not None:
            Results.samples.append((index, mode, operation, elapsed))
        else:
            Results.untimed[operation] += 1

    @task
    def add_promo_code(self):
        checkout_id, code = self.next_checkout()

        def check(data, _mode):
            payload = data["checkoutAddPromoCode"]
            if payload["errors"]:
                return f"errors {payload['errors']}"
            if payload["checkout"]["voucherCode"] != code:
                return f"code {payload['checkout']['voucherCode']!r}, not {code!r}"
            return None

        self.call(
            "checkoutAddPromoCode",
            CHECKOUT_ADD_PROMO_CODE,
            {"id": checkout_id, "promoCode": code},
            check,
        )

    @task
    def coupon_apply(self):
        checkout_id, code = self.next_checkout()

        def check(data, mode):
            payload = data["serviceCouponApply"]
            if payload["errors"]:
                return f"errors {payload['errors']}"
            if payload["checkout"]["voucherCode"] != code:
                return f"code {payload['checkout']['voucherCode']!r}, not {code!r}"
            diagnosis = payload["diagnosis"]
            if mode == "A" and not (diagnosis and diagnosis["isValid"]):
                return f"plugin active, but no valid diagnosis: {diagnosis}"
            if mode == "I" and diagnosis is not None:
                return f"plugin inactive, but a diagnosis: {diagnosis}"
            return None

        self.call(
            "serviceCouponApply",
            SERVICE_COUPON_APPLY,
            {"id": checkout_id, "code": code},
            check,
        )

    @task
    def service_history(self):
        page = STORE["historyPage"]

        def check(data, _mode):
            edges = data["me"]["serviceHistory"]["edges"]
            if len(edges) != page:
                return f"{len(edges)} entries, not {page}"
            return None

        self.call("me.serviceHistory", SERVICE_HISTORY, {"first": page}, check)


def problem_of(response, check, mode) -> str | None:
    """What is wrong with a response, or None."""
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {(response.text or '')[:200]}"
    try:
        content = response.json()
    except ValueError:
        return f"not JSON: {(response.text or '')[:200]}"
    if content.get("errors"):
        return f"GraphQL errors {content['errors']}"
    try:
        return check(content["data"], mode)
    except (KeyError, TypeError) as error:
        return f"unexpected data ({error!r}): {str(content)[:200]}"


def percentile(values, share) -> float:
    """Nearest-rank percentile of sorted ``values``."""
    rank = max(1, round(share * len(values) + 0.5))
    return values[min(rank, len(values)) - 1]


def ms(seconds) -> str:
    return f"{seconds * 1000:,.1f}"


@events.quitting.add_listener
def report(environment, **_kwargs):
    if SAMPLES_PATH:
        with open(SAMPLES_PATH, "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(["phase", "mode", "operation", "seconds"])
            writer.writerows(Results.samples)
    print()
    print(
        f"{len(STORE['customers'])} customers, {len(STARTED)} clients; "
        f"phases {PHASE_ORDER} of {PHASE_SECONDS:g} s after a {WARM_UP_SECONDS:g} s warm-up"
    )
    print(
        "| Operation | Plugin | Requests | p50 ms | p95 ms | p99 ms | Errors | p95 ratio |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    is_met = True
    all_samples = {"A": [], "I": []}
    for operation in (*OPERATIONS, "all"):
        p95s = {}
        for mode in ("A", "I"):
            if operation == "all":
                values = sorted(all_samples[mode])
            else:
                values = sorted(
                    seconds
                    for _, sample_mode, name, seconds in Results.samples
                    if name == operation and sample_mode == mode
                )
                all_samples[mode].extend(values)
            if not values:
                print(f"| {operation} | {MODES[mode]} | 0 | | | | | |")
                is_met = False
                continue
            p95s[mode] = percentile(values, 0.95)
            errors = sum(
                1
                for name, found in Results.errors.items()
                for error_mode, _ in found
                if error_mode == mode and operation in ("all", name)
            )
            ratio = ""
            if mode == "I" and "A" in p95s:
                ratio = f"{p95s['A'] / p95s['I']:.3f}"
                is_met = is_met and (
                    operation == "all" or p95s["A"] <= GOAL * p95s["I"]
                )
            print(
                f"| {operation} | {MODES[mode]} | {len(values)} | "
                f"{ms(percentile(values, 0.50))} | {ms(p95s[mode])} | "
                f"{ms(percentile(values, 0.99))} | {errors} | {ratio} |"
            )
    errors = sum(len(found) for found in Results.errors.values())
    untimed = sum(Results.untimed.values())
    print(
        f"Errors: {errors} in all (warm-up and switches included; the table's "
        "count them by the mode when sent); "
        f"{untimed} requests untimed (warm-up, or in flight during a switch)."
    )
    for operation, found in Results.errors.items():
        problems = [problem for _, problem in found]
        for problem in sorted(set(problems))[:5]:
            print(f"  {operation}: {problems.count(problem)} x {problem}")
    for moment, averages in Phases.load_averages:
        print(
            f"Load average {moment}: {averages[0]:.2f} {averages[1]:.2f} {averages[2]:.2f}"
        )
    is_met = is_met and errors == 0
    print(
        f"Goal (0 errors, each operation's p95 with the plugin at most {GOAL:.2f}x "
        f"without): {'met' if is_met else 'MISSED'}"
    )
    environment.process_exit_code = 0 if is_met else 1
