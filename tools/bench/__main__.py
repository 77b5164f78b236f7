"""`python -m tools.bench` (`make bench`): build, measure every function next to its baseline,
write reports/bench.md and reports/bench.json.

Cold starts run in rounds: each round starts every process once, a function right next to its
baseline (which one goes first alternates by round), so that load from elsewhere on the machine
falls on both alike. Warm runs follow, in rounds too.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from tools.bench.artifacts import WORK, prepare, size_by_distribution, size_of
from tools.bench.report import Floor, Measured, Run
from tools.bench.runner import ColdSample, Runner, Target, WarmSample, WarmSettings
from tools.bench.scenarios import FLOOR_RUNGS, ROOT, SCENARIOS, Scenario
from tools.bench.store import BenchStore
from tools.local_api.issuer import LocalIssuer
from tools.local_api.jwks import served
from tools.local_api.template import Template

FLOOR_SCENARIO = "get_client"
POWERTOOLS_FLOOR = "powertools floor"
WITHOUT_BYTECODE = f"{FLOOR_SCENARIO}, layer without bytecode"


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    began = time.monotonic()
    WORK.mkdir(parents=True, exist_ok=True)
    _say("building: sam build (arm64), the layer for this machine ...")
    with (WORK / "build.log").open("w", encoding="utf-8") as log:
        artifacts = prepare(log)
    template = Template.load()
    functions = {function.name: function for function in template.functions().get_all()}
    # A name selects the scenario and its variants (register_client: register_client+key too).
    scenarios = [s for s in SCENARIOS if not args.only or s.name.split("+")[0] in args.only]
    # The authorizer's tokens: signed by a key of the bench's own, whose public set is served
    # over HTTP for the authorizer (and its baseline) to fetch as from an OIDC provider.
    issuer = LocalIssuer(WORK / "issuer")
    store = BenchStore.start(template)
    try:
        with served(issuer.jwks()) as keys:
            runner = Runner(artifacts, store, keys)
            targets = {s.name: _targets(s, functions, runner) for s in scenarios}
            floor_targets = _floor_targets(targets.get(FLOOR_SCENARIO), runner)
            cold = _cold_rounds(runner, scenarios, targets, floor_targets, args.cold_runs, issuer=issuer)
            if floor_targets:
                targets[FLOOR_SCENARIO][POWERTOOLS_FLOOR] = floor_targets[POWERTOOLS_FLOOR]
            warm = _warm_rounds(runner, scenarios, targets, args, issuer=issuer)
    finally:
        store.stop()
    measured = [
        Measured(
            scenario=s,
            memory_mb=functions[s.function].memory,
            package=size_of(artifacts.function(s.function)),
            cold=cold[(s.name, "ours")],
            baseline_cold=cold[(s.name, "baseline")],
            warm=warm[s.name]["ours"],
            baseline_warm=warm[s.name]["baseline"],
        )
        for s in scenarios
    ]
    floor = None
    if floor_targets:
        floor_cold = {"baseline": cold[(FLOOR_SCENARIO, "baseline")]}
        floor_cold |= {label: cold[(label, "floor")] for label in floor_targets if label != WITHOUT_BYTECODE}
        floor_cold[f"{FLOOR_SCENARIO} (ours)"] = cold[(FLOOR_SCENARIO, "ours")]
        floor_cold[WITHOUT_BYTECODE] = cold[(WITHOUT_BYTECODE, "floor")]
        floor_warm = warm[FLOOR_SCENARIO]
        floor = Floor(floor_cold, floor_warm[POWERTOOLS_FLOOR], floor_warm["baseline"], floor_warm["ours"])
    run = Run(
        measured=measured,
        layer=size_of(artifacts.build / "CommonLayer"),
        layer_by_distribution=size_by_distribution(artifacts.build / "CommonLayer" / "python"),
        floor=floor,
        settings={
            "cold_runs": args.cold_runs,
            "warm_rounds": args.warm_rounds,
            "warm_requests": args.warm_requests,
            "cpu_requests": args.cpu_requests,
            "cpu_batches": args.cpu_batches,
            "hashing_requests": args.hashing_requests,
        },
    )
    run.seconds = time.monotonic() - began
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps(run.to_json(), indent=2, ensure_ascii=False) + "\n")
    (args.out / "bench.md").write_text(run.to_markdown())
    _say(f"done in {run.seconds:.0f} s: {args.out / 'bench.md'}, {args.out / 'bench.json'}")
    return 0


Targets = dict[str, Target]


def _targets(scenario: Scenario, functions: dict, runner: Runner) -> Targets:
    """Our function as built, and its baseline, for one scenario."""
    art = runner.artifacts
    function = functions[scenario.function]
    # boto3: the layer's in ours, the runtime's in the baselines. The authorizer has no boto3;
    # PyJWT is only in the layer, for both.
    library, baseline_library = ("boto3", art.runtime) if scenario.calls_dynamodb else ("jwt", art.layer)
    ours = Target(
        label=scenario.name,
        function=function,
        paths=(art.function(scenario.function), art.layer, art.runtime),
        handler=function.handler,
        expect=scenario.expect,
        origins=((library, art.layer), ("clients_api", art.layer)),
        calls_dynamodb=scenario.calls_dynamodb,
    )
    baseline = Target(
        label=f"{scenario.name} baseline",
        function=function,
        # The layer for argon2 and PyJWT in some baselines: boto3 comes from the runtime first.
        paths=(art.handlers, art.runtime, art.layer),
        handler=scenario.baseline,
        expect=scenario.expect,
        origins=((library, baseline_library),),
        calls_dynamodb=scenario.calls_dynamodb,
    )
    return {"ours": ours, "baseline": baseline}


def _floor_targets(targets: Targets | None, runner: Runner) -> dict[str, Target]:
    """The rungs of the dependency floor, the powertools floor handler, and our function on a
    layer without bytecode: what get_client's cost is made of."""
    if targets is None:
        return {}
    art = runner.artifacts
    baseline, ours = targets["baseline"], targets["ours"]
    dependencies = (("boto3", art.runtime), ("aws_lambda_powertools", art.layer))
    rungs = {
        label: Target(
            label=label,
            function=baseline.function,
            paths=baseline.paths,
            handler=baseline.handler,
            expect=baseline.expect,
            origins=dependencies,
            preload=modules,
        )
        for label, modules in FLOOR_RUNGS
    }
    rungs[POWERTOOLS_FLOOR] = Target(
        label=POWERTOOLS_FLOOR,
        function=baseline.function,
        paths=baseline.paths,
        handler="floor_handler.lambda_handler",
        expect=baseline.expect,
        origins=dependencies,
    )
    rungs[WITHOUT_BYTECODE] = Target(
        label=WITHOUT_BYTECODE,
        function=ours.function,
        paths=(ours.paths[0], art.layer_without_bytecode, art.runtime),
        handler=ours.handler,
        expect=ours.expect,
        origins=(("boto3", art.layer_without_bytecode), ("clients_api", art.layer_without_bytecode)),
    )
    return rungs


def _cold_rounds(
    runner: Runner,
    scenarios: list[Scenario],
    targets: dict[str, Targets],
    rungs: dict[str, Target],
    rounds: int,
    *,
    issuer: LocalIssuer,
) -> dict[tuple[str, str], list[ColdSample]]:
    """Each round starts every target once: a function's baseline, then (for get_client) the
    dependency floor's rungs, then the function; every other round the other way round."""
    samples: dict[tuple[str, str], list[ColdSample]] = {}
    for number in range(rounds):
        _say(f"cold starts, round {number + 1} of {rounds} ...")
        for scenario in scenarios:
            sequence = [((scenario.name, "baseline"), targets[scenario.name]["baseline"])]
            if scenario.name == FLOOR_SCENARIO:
                sequence += [((label, "floor"), target) for label, target in rungs.items()]
            sequence.append(((scenario.name, "ours"), targets[scenario.name]["ours"]))
            for key, target in sequence if number % 2 == 0 else reversed(sequence):
                samples.setdefault(key, []).append(runner.cold(target, scenario.events(1, issuer)))
    return samples


def _warm_rounds(
    runner: Runner,
    scenarios: list[Scenario],
    targets: dict[str, Targets],
    args: argparse.Namespace,
    *,
    issuer: LocalIssuer,
) -> dict[str, dict[str, WarmSample]]:
    """Every target warm (ours, baseline, for get_client the powertools floor), in rounds like the
    cold starts: a burst of load elsewhere then hits one round, not one target's whole share."""
    samples: dict[tuple[str, str], list[WarmSample]] = {}
    for number in range(args.warm_rounds):
        _say(f"warm requests, round {number + 1} of {args.warm_rounds} ...")
        for scenario in scenarios:
            if scenario.hashes_passwords:  # each request hashes for 15-60 ms: fewer of them
                settings = WarmSettings(args.hashing_requests, args.hashing_requests, args.cpu_batches)
            else:
                settings = WarmSettings(args.warm_requests, args.cpu_requests, args.cpu_batches)
            # Registration needs a new email and phone for every request that reaches the store;
            # the authorizer gets as many tokens.
            events = scenario.events(settings.requests + 3, issuer)
            for kind, target in targets[scenario.name].items():
                samples.setdefault((scenario.name, kind), []).append(runner.warm(target, events, settings))
    combined: dict[str, dict[str, WarmSample]] = {}
    for (name, kind), runs in samples.items():
        combined.setdefault(name, {})[kind] = WarmSample.combined(runs)
    return combined


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cold-runs", type=int, default=7, help="cold starts of each process (default 7)")
    parser.add_argument("--warm-rounds", type=int, default=3, help="warm processes of each target (3)")
    parser.add_argument("--warm-requests", type=int, default=40, help="requests against the store, per round (40)")
    # Short batches, many of them: the more batches, the likelier one runs with the machine to itself.
    parser.add_argument("--cpu-requests", type=int, default=50, help="played-back requests per CPU batch (50)")
    parser.add_argument(
        "--cpu-batches", type=int, default=6, help="CPU batches per trace sampling and round; the fastest counts (6)"
    )
    parser.add_argument(
        "--hashing-requests", type=int, default=4, help="requests and batch size of password functions (4)"
    )
    parser.add_argument("--only", nargs="*", metavar="NAME", help="only these functions (e.g. get_client)")
    parser.add_argument("--out", type=Path, default=ROOT / "reports", help="where bench.md and bench.json go")
    return parser


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
