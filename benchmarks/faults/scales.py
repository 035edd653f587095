"""How big a fault campaign is: the full one (docs/faults.md) and the short one of
the Saleor tier."""

from dataclasses import dataclass

TRANSPORTS = 3


@dataclass(frozen=True)
class Scale:
    name: str
    waves: int
    # Per channel (one per transport) and wave.
    late_orders: int
    short_lines: int
    promoted_codes: int
    workers: int
    kills: int
    terminations: int
    broker_stop_seconds: float
    wave_seconds: float
    drain_seconds: float
    seed: int = 16

    @property
    def planned(self) -> int:
        per_wave = self.late_orders + self.short_lines + self.promoted_codes
        return per_wave * self.waves * TRANSPORTS


FULL = Scale(
    "full",
    waves=6,
    late_orders=40,
    short_lines=12,
    promoted_codes=6,
    workers=3,
    kills=6,
    terminations=8,
    broker_stop_seconds=30,
    wave_seconds=15,
    drain_seconds=300,
)
SHORT = Scale(
    "short",
    waves=3,
    late_orders=6,
    short_lines=3,
    promoted_codes=2,
    workers=2,
    kills=2,
    terminations=3,
    broker_stop_seconds=4,
    wave_seconds=4,
    drain_seconds=90,
    # The receiver's first 33 draws of this seed hold each of its faults (5 errors,
    # a hang, a reset), so the short run meets all three.
    seed=2,
)
