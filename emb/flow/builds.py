"""`emb resources build` (and the builds before `emb run` and `emb up`): SPEC §6.

selection + dependency closure (emb.resources.build_order, emb.graph) -> one
`docker image inspect` for every image reference -> up to `jobs` builds at
once, a resource starting only after its dependencies succeeded: each one
decides (fresh? why?), builds through emb.process.Streamed into its log
file, then records its fingerprint (only after a success) -> a summary, or
one error naming the failed, the skipped and the log.

Fail-fast by default: after a failure nothing new starts; `keep_going`
skips only the failed resources' dependents. Ctrl+C stops every running
build; an interrupted build records nothing.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from emb import redact
from emb import resources as res
from emb.docker import build as docker_build
from emb.errors import EXIT_INTERRUPTED, ConfigError, EmbError, UsageError
from emb.flow.buildview import LiveView, PlainView, display_path
from emb.model import Monorepo
from emb.output import note, print_json
from emb.process import Streamed
from emb.resources import params as settings
from emb.resources import state as records
from emb.resources.context import docker_builder

AUTO_MAX = 4  # `auto` jobs: the CPUs, at most this many (EMB 0.30)


class Options:
    def __init__(self, refs=(), *, dry_run: bool = False, force: bool = False, publishable: bool = False,
                 jobs: str | int | None = None, keep_going: bool = False, as_json: bool = False,
                 ids: list[str] | None = None):
        self.refs = list(refs)
        self.ids = ids  # already-resolved resource ids (emb run, emb up): used instead of refs
        self.dry_run = dry_run
        self.force = force
        self.publishable = publishable
        self.jobs = jobs
        self.keep_going = keep_going
        self.as_json = as_json


def jobs_count(value: Any, monorepo: Monorepo) -> int:
    """--jobs > defaults.build.concurrency > 1; `auto` is the CPUs, at most AUTO_MAX."""
    if value is None or value == "":
        value = settings.build_defaults(monorepo).get("concurrency", 1)
    if value == "auto":
        return max(1, min(os.cpu_count() or 1, AUTO_MAX))
    try:
        count = int(value)
    except (TypeError, ValueError):
        raise UsageError(f"--jobs {value!r} is not a number", ["give a count (-j 4) or auto"]) from None
    if count < 1:
        raise UsageError(f"--jobs {count} must be at least 1", ["give a count (-j 4) or auto"])
    return count


class Outcome:
    def __init__(self, rid: str, status: str, decision: res.Decision | None = None, *, log: Path | None = None,
                 error: EmbError | None = None, duration: float = 0.0):
        self.id = rid
        self.status = status  # built, up to date, would build, failed, interrupted, skipped, not started
        self.decision = decision
        self.log = log
        self.error = error
        self.duration = duration


class BuildFlow:
    def __init__(self, monorepo: Monorepo, options: Options, view=None):
        self.monorepo = monorepo
        self.o = options
        self.view = view
        self.interrupted = False
        self._active: dict[str, Streamed] = {}
        self._lock = threading.Lock()

    # -- the whole run ----------------------------------------------------------------
    def run(self) -> int:
        monorepo = self.monorepo
        ids = self.o.ids if self.o.ids is not None else res.select(monorepo, self.o.refs, self.o.publishable)
        order, deps = res.build_order(monorepo, ids)
        jobs = jobs_count(self.o.jobs, monorepo)
        if not order:
            if self.o.as_json:
                print_json({})
            elif self.o.ids is None:
                note("emb: no resources to build" + (" (none is publishable)" if self.o.publishable else ""))
            return 0
        for rid in order:  # every type known, every Dockerfile there, before anything starts
            resource = monorepo.resources[rid]
            kind = res.kind(resource)
            if resource.type == "docker/image":
                kind.preflight(monorepo, resource)
        run = self.prepare(order)
        if self.view is None:
            self.view = self.make_view()
        started = time.monotonic()
        try:
            outcomes = self.dry(order, run) if self.o.dry_run else self.schedule(order, deps, run, jobs)
        finally:
            records.save_hash_cache(monorepo, run.hashes)
        return self.report(order, outcomes, run, time.monotonic() - started)

    def prepare(self, order: list[str]) -> res.BuildRun:
        monorepo = self.monorepo
        images = [res.reference(monorepo, monorepo.resources[rid]) for rid in order
                  if monorepo.resources[rid].type == "docker/image"]
        builder = "legacy"
        image_ids: Any = {}
        if images:
            docker_build.docker_cli()
            builder = docker_builder(docker_build.buildx_installed(), os.environ)
            if not self.o.force:
                image_ids = lookup_in_background(docker_build.image_ids, images)
        run = res.BuildRun(monorepo, force=self.o.force, dry_run=self.o.dry_run, image_ids=image_ids,
                           builder=builder)
        if callable(image_ids):  # while docker answers, fingerprint the contexts
            for rid in order:
                res.kind(monorepo.resources[rid]).prefetch(run, monorepo.resources[rid])
            run.image_ids  # noqa: B018 - its errors (daemon unreachable) before anything starts
        return run

    def make_view(self):
        if not self.o.as_json and not self.o.dry_run and os.isatty(2) and os.environ.get("TERM") != "dumb":
            return LiveView(sys.stderr)
        return PlainView(sys.stderr, lines=not self.o.as_json, quiet=self.o.as_json)

    # -- dry run ----------------------------------------------------------------------
    def dry(self, order: list[str], run: res.BuildRun) -> dict[str, Outcome]:
        outcomes = {}
        for rid in order:
            resource = self.monorepo.resources[rid]
            kind = res.kind(resource)
            decision = kind.decide(run, resource)
            if decision.build:
                run.built(rid, None)
            outcomes[rid] = Outcome(rid, "would build" if decision.build else "up to date", decision)
            if not self.o.as_json:
                self.print_plan_line(rid, decision, run)
        return outcomes

    def print_plan_line(self, rid: str, decision: res.Decision, run: res.BuildRun) -> None:
        resource = self.monorepo.resources[rid]
        verdict = "would build" if decision.build else "skip"
        strategy = f" [strategy {decision.strategy}, from {decision.source}]" if decision.strategy else ""
        note(f"# {rid}: {verdict}: {decision.reason}{strategy}")
        if decision.build:
            kind = res.kind(resource)
            cmd = kind.command(run, resource)
            if cmd is not None:
                note(redact.mask(cmd.details.get("shown") or cmd.shell_line()))
            else:
                note(f"(emb writes {kind.reference(self.monorepo, resource)})")

    # -- real builds ------------------------------------------------------------------
    def schedule(self, order: list[str], deps: dict[str, list[str]], run: res.BuildRun,
                 jobs: int) -> dict[str, Outcome]:
        """Decide in this thread (a warm check only stats files), build in up to `jobs` threads."""
        outcomes: dict[str, Outcome] = {}
        decisions: dict[str, res.Decision] = {}
        pending = list(order)
        ok: set[str] = set()
        stop_new = False
        pool = None
        running: dict = {}
        try:
            while pending or running:
                for rid in list(pending):
                    needs = deps.get(rid, ())
                    if any(d in outcomes and d not in ok for d in needs):
                        pending.remove(rid)
                        outcomes[rid] = Outcome(rid, "skipped")
                        self.view.skipped(rid, [d for d in needs if d not in ok][0])
                        continue
                    if stop_new or not all(d in ok for d in needs):
                        continue
                    if rid not in decisions:
                        decided = self.decide_one(rid, run)
                        if isinstance(decided, Outcome):  # up to date, or it cannot be decided
                            pending.remove(rid)
                            outcomes[rid] = decided
                            if decided.status == "up to date":
                                ok.add(rid)
                            elif not self.o.keep_going:
                                stop_new = True
                            continue
                        decisions[rid] = decided
                    if len(running) >= jobs:
                        continue
                    if pool is None:
                        # concurrent.futures loads logging (~8 ms): only when something is built.
                        from concurrent.futures import ThreadPoolExecutor

                        pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="emb-build")
                    pending.remove(rid)
                    running[pool.submit(self.build_one, rid, run, decisions[rid])] = rid
                if not running:
                    if pending:  # blocked behind a failure (fail-fast)
                        for rid in pending:
                            outcomes[rid] = Outcome(rid, "not started")
                        self.view.not_started(pending)
                    break
                from concurrent.futures import FIRST_COMPLETED, wait

                done, _ = wait(list(running), timeout=0.1, return_when=FIRST_COMPLETED)
                self.view.tick()
                for future in done:
                    rid = running.pop(future)
                    outcome = future.result()
                    outcomes[rid] = outcome
                    if outcome.status == "built":
                        ok.add(rid)
                    elif not self.o.keep_going:
                        stop_new = True
        except KeyboardInterrupt:
            self.interrupted = True
            with self._lock:
                active = list(self._active.values())
            for streamed in active:
                streamed.stop()
            if pool is not None:
                pool.shutdown(wait=True)
            self.view.close()
            raise EmbError("interrupted: nothing was recorded for the builds that were running",
                           exit_code=EXIT_INTERRUPTED) from None
        if pool is not None:
            pool.shutdown(wait=True)
        self.view.close()
        return outcomes

    def decide_one(self, rid: str, run: res.BuildRun) -> res.Decision | Outcome:
        """The decision to build, or the Outcome when there is nothing to build (or it failed)."""
        resource = self.monorepo.resources[rid]
        try:
            decision = res.kind(resource).decide(run, resource)
        except EmbError as err:
            self.view.failed(rid, err.message, None)
            return Outcome(rid, "failed", error=err)
        if not decision.build:
            self.view.fresh(rid, decision)
            return Outcome(rid, "up to date", decision)
        return decision

    def build_one(self, rid: str, run: res.BuildRun, decision: res.Decision) -> Outcome:
        resource = self.monorepo.resources[rid]
        kind = res.kind(resource)
        started = time.monotonic()
        if self.interrupted:
            return Outcome(rid, "interrupted", decision)
        log = kind.log_path(run, resource)
        try:
            log.parent.mkdir(parents=True, exist_ok=True)
            kind.produce(run, resource)
            cmd = kind.command(run, resource)
            if cmd is None:
                artifact = kind.finish(run, resource, decision)
                run.built(rid, artifact)
                self.view.done(rid, decision, time.monotonic() - started, None)
                return Outcome(rid, "built", decision, duration=time.monotonic() - started)
            shown = redact.mask(cmd.details.get("shown") or cmd.shell_line())
            self.view.started(rid, decision, shown)
            streamed = Streamed(cmd, log, header=f"$ {shown}\n".encode())
        except EmbError as err:
            self.view.failed(rid, err.message, None)
            return Outcome(rid, "failed", decision, error=err)
        with self._lock:
            self._active[rid] = streamed
        try:
            result = streamed.pump(lambda line: self.view.line(rid, line))
        finally:
            with self._lock:
                self._active.pop(rid, None)
        duration = time.monotonic() - started
        if result.interrupted or self.interrupted:
            self.view.failed(rid, "interrupted", log)
            return Outcome(rid, "interrupted", decision, log=log, duration=duration)
        if result.exit_code != 0:
            tail = result.stderr_tail.decode("utf-8", "replace")
            if resource.type == "docker/image":
                err = docker_build.build_failure(cmd.where, tail)
            else:
                err = EmbError(f"resource {rid}: `{cmd.argv[0]}` failed with exit code {result.exit_code}",
                               exit_code=1)
            self.view.failed(rid, err.message, log)
            return Outcome(rid, "failed", decision, log=log, error=err, duration=duration)
        if self.interrupted:  # Ctrl+C while it ended: no record
            return Outcome(rid, "interrupted", decision, log=log, duration=duration)
        try:
            artifact = kind.finish(run, resource, decision)
        except EmbError as err:
            self.view.failed(rid, err.message, log)
            return Outcome(rid, "failed", decision, log=log, error=err, duration=duration)
        run.built(rid, artifact)
        self.view.done(rid, decision, duration, log)
        return Outcome(rid, "built", decision, log=log, duration=duration)

    # -- the end ----------------------------------------------------------------------
    def report(self, order: list[str], outcomes: dict[str, Outcome], run: res.BuildRun, took: float) -> int:
        if self.o.as_json:
            print_json(redact.mask_data({rid: self.json_item(rid, outcomes[rid], run) for rid in order
                                         if rid in outcomes}))
        failed = [o for o in outcomes.values() if o.status in ("failed", "interrupted")]
        skipped = [rid for rid in order if outcomes.get(rid) is not None and outcomes[rid].status == "skipped"]
        unstarted = [rid for rid in order if outcomes.get(rid) is not None and outcomes[rid].status == "not started"]
        if not failed:
            if not self.o.as_json and not self.o.dry_run:
                counts = {}
                for o in outcomes.values():
                    counts[o.status] = counts.get(o.status, 0) + 1
                parts = [f"{counts[s]} {s}" for s in ("built", "up to date") if counts.get(s)]
                note(f"emb: {', '.join(parts) or 'nothing to do'} in {_seconds(took)}")
            return 0
        if len(failed) == 1 and not skipped and not unstarted and isinstance(failed[0].error, ConfigError):
            raise failed[0].error
        message = f"failed to build: {', '.join(o.id for o in failed)}"
        if skipped:
            message += f"; skipped (a dependency failed): {', '.join(skipped)}"
        if unstarted:
            message += f"; not started: {', '.join(unstarted)}"
        hints = []
        for o in failed:
            if o.error is not None and len(failed) == 1:
                hints.append(o.error.message)
                hints.extend(o.error.hints)
            if o.log is not None:
                hints.append(f"log of {o.id}: {display_path(o.log)}")
        raise EmbError(message, hints, exit_code=1)

    def json_item(self, rid: str, outcome: Outcome, run: res.BuildRun) -> dict:
        resource = self.monorepo.resources[rid]
        kind = res.kind(resource)
        decision = outcome.decision
        item = {
            "resource": rid,
            "reference": kind.reference(self.monorepo, resource),
            "builderInput": kind.builder_input(self.monorepo, resource),
            "sentinelData": decision.sentinel() if decision is not None else None,
            "cacheHit": decision is not None and not decision.build,
            "dryRun": self.o.dry_run,
            "force": self.o.force,
            "status": outcome.status,
        }
        if outcome.log is not None:
            item["log"] = str(outcome.log)
        if outcome.error is not None:
            item["error"] = outcome.error.message
        if rid in run.artifacts and run.artifacts[rid]:
            item["imageId"] = run.artifacts[rid]
        return item


def lookup_in_background(function, *args):
    """Start `function(*args)` in a thread; returns a callable that waits for its result (or raises)."""
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = function(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            box["error"] = exc

    thread = threading.Thread(target=work, name="emb-lookup", daemon=True)
    thread.start()

    def result():
        thread.join()
        if "error" in box:
            raise box["error"]
        return box["value"]

    return result


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f}s"
