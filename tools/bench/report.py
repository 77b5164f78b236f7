"""The numbers of one run, the targets they are held to, and the report (markdown and JSON)."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from tools.bench.artifacts import Size
from tools.bench.runner import TRACE_IDS, ColdSample, WarmSample
from tools.bench.scenarios import ROOT, Scenario

MIB = 1024 * 1024
SAMPLINGS = tuple(TRACE_IDS)  # sampled, unsampled


@dataclass(frozen=True)
class Targets:
    """What we aim for: cold start, CPU, memory and layer size, mostly as ratios to the baseline
    measured in the same run."""

    cold_start_ratio: float = 1.5  # not for the password-hashing functions
    added_cpu_us: float = 100.0  # per warm request; not for the password-hashing functions
    rss_ratio: float = 1.35
    layer_unzipped_mib: float = 25.0


@dataclass(frozen=True)
class Measured:
    """One function next to its baseline."""

    scenario: Scenario
    memory_mb: int
    package: Size
    cold: list[ColdSample]
    baseline_cold: list[ColdSample]
    warm: WarmSample
    baseline_warm: WarmSample

    def summary(self, targets: Targets) -> dict[str, Any]:
        exempt = self.scenario.hashes_passwords  # None below: the target does not apply
        cold_ratio = _paired_ratio(self.cold, self.baseline_cold, "wall_ms")
        rss_ratio = _median(self.cold, "max_rss_mib") / _median(self.baseline_cold, "max_rss_mib")
        added = {s: self.warm.cpu_us(s) - self.baseline_warm.cpu_us(s) for s in SAMPLINGS}
        return {
            "function": self.scenario.function,
            "hashes_passwords": exempt,
            "memory_mb": self.memory_mb,
            "package_bytes": asdict(self.package),
            "cold_start_ms": _spread(self.cold, "wall_ms"),
            "baseline_cold_start_ms": _spread(self.baseline_cold, "wall_ms"),
            "cold_start_ratio": cold_ratio,
            "cold_start_ratio_of_medians": _median(self.cold, "wall_ms") / _median(self.baseline_cold, "wall_ms"),
            "cold_start_cpu_ms": _spread(self.cold, "cpu_ms"),
            "baseline_cold_start_cpu_ms": _spread(self.baseline_cold, "cpu_ms"),
            "cold_start_cpu_ratio": _paired_ratio(self.cold, self.baseline_cold, "cpu_ms"),
            "optional_libraries_loaded": sorted({name for sample in self.cold for name in sample.loaded}),
            "init_ms": _median(self.cold, "init_ms"),
            "first_request_ms": _median(self.cold, "first_request_ms"),
            "max_rss_mib": _median(self.cold, "max_rss_mib"),
            "baseline_max_rss_mib": _median(self.baseline_cold, "max_rss_mib"),
            "rss_ratio": rss_ratio,
            "warm_ms": self.warm.median_wall_ms,
            "baseline_warm_ms": self.baseline_warm.median_wall_ms,
            "stubbed_cpu_us": {s: self.warm.cpu_us(s) for s in SAMPLINGS},
            "baseline_stubbed_cpu_us": {s: self.baseline_warm.cpu_us(s) for s in SAMPLINGS},
            "added_cpu_us": added,
            "targets_met": {
                "cold_start": None if exempt else cold_ratio <= targets.cold_start_ratio,
                "rss": rss_ratio <= targets.rss_ratio,
            }
            | {f"added_cpu_{s}": None if exempt else added[s] <= targets.added_cpu_us for s in SAMPLINGS},
        }


@dataclass(frozen=True)
class Floor:
    """get_client's cost taken apart: cold starts of the baseline with our dependencies set up
    rung by rung, and of the powertools floor (floor_handler.py); its warm CPU."""

    cold: dict[str, list[ColdSample]]  # label -> samples, baseline first, ours last
    powertools_warm: WarmSample
    baseline_warm: WarmSample
    ours_warm: WarmSample


@dataclass
class Run:
    measured: list[Measured]
    layer: Size
    layer_by_distribution: dict[str, int]
    floor: Floor | None
    settings: dict[str, Any]
    seconds: float = 0.0
    targets: Targets = field(default_factory=Targets)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "environment": _environment(),
            "settings": self.settings,
            "seconds": self.seconds,
            "targets": asdict(self.targets),
            "layer_bytes": asdict(self.layer),
            "layer_target_met": self.layer.unzipped / MIB <= self.targets.layer_unzipped_mib,
            "layer_by_distribution_bytes": self.layer_by_distribution,
            "functions": {m.scenario.name: m.summary(self.targets) for m in self.measured},
            "samples": {
                m.scenario.name: {
                    "cold": [asdict(s) for s in m.cold],
                    "baseline_cold": [asdict(s) for s in m.baseline_cold],
                    "warm": asdict(m.warm),
                    "baseline_warm": asdict(m.baseline_warm),
                }
                for m in self.measured
            },
        }
        if self.floor is not None:
            warm = {
                "baseline": self.floor.baseline_warm,
                "powertools floor": self.floor.powertools_warm,
                "ours": self.floor.ours_warm,
            }
            baseline = self.floor.cold["baseline"]
            data["floor"] = {
                "cold_start_ms": {label: _spread(s, "wall_ms") for label, s in self.floor.cold.items()},
                "cold_start_ratio": {
                    label: _paired_ratio(s, baseline, "wall_ms") for label, s in self.floor.cold.items()
                },
                "cold_start_cpu_ms": {label: _spread(s, "cpu_ms") for label, s in self.floor.cold.items()},
                "cold_start_cpu_ratio": {
                    label: _paired_ratio(s, baseline, "cpu_ms") for label, s in self.floor.cold.items()
                },
                "stubbed_cpu_us": {label: {s: w.cpu_us(s) for s in SAMPLINGS} for label, w in warm.items()},
            }
        return data

    def to_markdown(self) -> str:
        data = self.to_json()
        lines = [*self._header(data), *self._cold(data), *self._warm(data)]
        if self.floor is not None:
            lines += self._floor(data["floor"])
        lines += self._sizes(data)
        return "\n".join(lines) + "\n"

    def _header(self, data: dict[str, Any]) -> list[str]:
        env = data["environment"]
        return [
            "# Benchmark: cold start and per-request cost, next to a bare boto3 handler",
            "",
            f"Run {env['date']} at commit `{env['commit']}` on {env['machine']} ({env['cpus']} CPUs, "
            f"CPython {env['python']}), {self.seconds:.0f} s. Settings: {_settings_text(self.settings)}.",
            "",
            "Ratios are ours / baseline, both measured in this run. Baseline: the same "
            "DynamoDB calls with plain boto3 and nothing else (tools/bench/handlers); for the three "
            "password functions it includes Argon2id with our parameters; for the authorizer "
            "(authorize), the same token check with PyJWT alone. 🔸: a target that does not apply "
            "(password hashing).",
        ]

    def _cold(self, data: dict[str, Any]) -> list[str]:
        targets = self.targets
        lines = [
            "",
            "## Cold start: spawn to first response",
            "",
            f"Target: ≤ {targets.cold_start_ratio}× baseline (wall), except password hashing; peak "
            f"RSS ≤ {targets.rss_ratio}×. Each round starts a function and its baseline one after "
            "the other: × is the median over rounds of their ratio (the ratio of the medians is "
            "in the JSON). CPU is the process's user + system time. The authorizer's first request "
            "(and its baseline's) includes fetching the issuer's key set over HTTP on loopback. "
            "Loads: which of argon2, phonenumbers, email_validator the process imported.",
            "",
            "| function | ours median (min–max) ms | baseline median (min–max) ms | wall × | CPU × "
            "| import / 1st request ms | RSS MiB | RSS × | loads |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for m in self.measured:
            s = data["functions"][m.scenario.name]
            met = s["targets_met"]
            lines.append(
                f"| {_name(m)} | {_spread_text(s['cold_start_ms'])} | {_spread_text(s['baseline_cold_start_ms'])} "
                f"| {_verdict(s['cold_start_ratio'], met['cold_start'])} | {s['cold_start_cpu_ratio']:.2f} "
                f"| {s['init_ms']:.0f} / {s['first_request_ms']:.0f} | {s['max_rss_mib']:.1f} "
                f"| {_verdict(s['rss_ratio'], met['rss'])} | {', '.join(s['optional_libraries_loaded']) or '–'} |"
            )
        return lines

    def _warm(self, data: dict[str, Any]) -> list[str]:
        lines = [
            "",
            "## Warm requests",
            "",
            "Wall time per request against the store on loopback, median (moto: most of it is the "
            "store). CPU per request with DynamoDB's HTTP answers played back from memory, in the "
            "fastest batch (other load on the machine only ever adds to it): botocore still builds, "
            "signs and parses every call, in both. The authorizer calls no DynamoDB: its requests "
            "are token checks with the key set kept, the token changing from one request to the "
            "next (neither handler keeps a verified token). "
            "Lambda sets a trace header per request: "
            "X-Ray records a sampled request in full (with a DynamoDB subsegment per call) and an "
            "unsampled one hardly at all; API Gateway's default rule samples 1 request a second and "
            f"5% of the rest. Target: our added CPU ≤ {self.targets.added_cpu_us:.0f} µs per request, "
            "except password hashing.",
            "",
            "| function | ours ms | baseline ms | CPU µs sampled / unsampled | baseline CPU µs "
            "| added µs, sampled | added µs, unsampled |",
            "|---|---|---|---|---|---|---|",
        ]
        for m in self.measured:
            s = data["functions"][m.scenario.name]
            ours, base, added = s["stubbed_cpu_us"], s["baseline_stubbed_cpu_us"], s["added_cpu_us"]
            met = s["targets_met"]
            lines.append(
                f"| {_name(m)} | {s['warm_ms']:.2f} | {s['baseline_warm_ms']:.2f} "
                f"| {ours['sampled']:.0f} / {ours['unsampled']:.0f} | {base['unsampled']:.0f} "
                f"| {_verdict(added['sampled'], met['added_cpu_sampled'], 0)} "
                f"| {_verdict(added['unsampled'], met['added_cpu_unsampled'], 0)} |"
            )
        return lines

    def _floor(self, floor: dict[str, Any]) -> list[str]:
        lines = [
            "",
            "## Where get_client's time goes: the dependency floor",
            "",
            "Cold: the baseline with our dependencies imported and set up as our code does, rung by "
            "rung, before any code of ours; the powertools floor (tools/bench/handlers/floor_handler.py: "
            "the baseline's call behind the resolver, Logger, Tracer and Metrics, no pydantic, nothing "
            "of ours); our get_client; and get_client on a layer without bytecode (what a plain "
            "`sam build` ships).",
            "",
            "| process | wall median (min–max) ms | × baseline | CPU median ms | CPU × baseline |",
            "|---|---|---|---|---|",
        ]
        for label, spread in floor["cold_start_ms"].items():
            lines.append(
                f"| {label} | {_spread_text(spread)} | {floor['cold_start_ratio'][label]:.2f} "
                f"| {floor['cold_start_cpu_ms'][label]['median']:.0f} | {floor['cold_start_cpu_ratio'][label]:.2f} |"
            )
        lines += [
            "",
            "Warm CPU per request, DynamoDB played back: what powertools costs over the baseline, "
            "and what our code costs over powertools.",
            "",
            "| process | sampled µs | unsampled µs | over the row above, sampled / unsampled µs |",
            "|---|---|---|---|",
        ]
        previous = None
        for label, cpu_us in floor["stubbed_cpu_us"].items():
            over = "" if previous is None else " / ".join(f"{cpu_us[s] - previous[s]:.0f}" for s in SAMPLINGS)
            lines.append(f"| {label} | {cpu_us['sampled']:.0f} | {cpu_us['unsampled']:.0f} | {over} |")
            previous = cpu_us
        return lines

    def _sizes(self, data: dict[str, Any]) -> list[str]:
        layer_mib = self.layer.unzipped / MIB
        lines = [
            "",
            "## Sizes",
            "",
            f"Built layer (arm64, as deployed): **{layer_mib:.1f} MiB unzipped** "
            f"({_verdict(layer_mib, data['layer_target_met'], 1)} against ≤ "
            f"{self.targets.layer_unzipped_mib:.0f} MiB), {self.layer.zipped / MIB:.1f} MiB zipped. "
            "Function packages:",
            "",
            "| function | memory MB | unzipped bytes | zipped bytes |",
            "|---|---|---|---|",
        ]
        lines += [f"| {_name(m)} | {m.memory_mb} | {m.package.unzipped} | {m.package.zipped} |" for m in self.measured]
        lines += ["", "The layer by distribution (unzipped, with bytecode):", "", "| distribution | MiB |", "|---|---|"]
        lines += [f"| {name} | {size / MIB:.2f} |" for name, size in self.layer_by_distribution.items()]
        return lines


def _paired_ratio(ours: list[ColdSample], baseline: list[ColdSample], name: str) -> float:
    """Median over rounds of ours / baseline in the same round: the two ran seconds apart, so
    load from elsewhere that comes and goes slower than that cancels out."""
    return statistics.median(getattr(o, name) / getattr(b, name) for o, b in zip(ours, baseline, strict=True))


def _median(samples: list[ColdSample], name: str) -> float:
    return statistics.median(getattr(s, name) for s in samples)


def _spread(samples: list[ColdSample], name: str) -> dict[str, float]:
    values = [getattr(s, name) for s in samples]
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def _spread_text(spread: dict[str, float]) -> str:
    return f"{spread['median']:.0f} ({spread['min']:.0f}–{spread['max']:.0f})"


def _verdict(value: float, met: bool | None, digits: int = 2) -> str:
    text = f"{value:.{digits}f}"
    if met is None:
        return f"{text} 🔸"
    return f"{text} ✅" if met else f"**{text}** ❌"


def _name(measured: Measured) -> str:
    return f"{measured.scenario.name} 🔸" if measured.scenario.hashes_passwords else measured.scenario.name


def _settings_text(settings: dict[str, Any]) -> str:
    return ", ".join(f"{name.replace('_', ' ')} {value}" for name, value in settings.items())


def _environment() -> dict[str, Any]:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit or "unknown",
        "machine": f"{platform.system()} {platform.machine()}",
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
