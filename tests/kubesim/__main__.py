"""Run the simulator from the shell:

    python -m tests.kubesim --manifests DIR --port N --kubeconfig OUT

Prints the kubeconfig path and the server URL once it listens, then serves until
SIGINT or SIGTERM (exec processes are killed on the way out).
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.kubesim",
                                     description="Kubernetes API simulator for the real kubectl.")
    parser.add_argument("--manifests", action="append", default=[], metavar="PATH",
                        help="YAML file or directory of manifests to load (repeatable)")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)")
    parser.add_argument("--kubeconfig", type=Path, default=None, metavar="OUT",
                        help="where to write the kubeconfig (default: WORKDIR/kubeconfig)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="state directory: pod working dirs, kubeconfig (default: a temporary one)")
    parser.add_argument("--pod-start-delay", type=float, default=0.0,
                        help="seconds new pods stay Pending (makes rollouts observable)")
    parser.add_argument("--termination-delay", type=float, default=0.0,
                        help="seconds deleted pods stay Terminating")
    parser.add_argument("--latency", type=float, default=0.0, metavar="MS",
                        help="milliseconds added to every request and to exec stream set-up (cloud round trips)")
    parser.add_argument("--exec-idle-timeout", type=float, default=0.0, metavar="S",
                        help="cut exec connections idle (no bytes either way) for S seconds, like a load balancer")
    args = parser.parse_args(argv)

    from .simulator import KubeSim

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="kubesim-"))
    try:
        sim = KubeSim.start(workdir, port=args.port)
    except OSError as exc:
        print(f"kubesim: cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    try:
        for path in args.manifests:
            sim.load_manifests(path)
        for handle in (sim, sim.second):
            handle.set_delays(pod_start=args.pod_start_delay, termination=args.termination_delay)
        sim.set_latency(args.latency)
        sim.set_exec_idle_timeout(args.exec_idle_timeout)
        kubeconfig = sim.kubeconfig
        if args.kubeconfig is not None:
            args.kubeconfig.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(sim.kubeconfig, args.kubeconfig)
            args.kubeconfig.chmod(0o600)
            kubeconfig = args.kubeconfig
        print(f"kubeconfig: {kubeconfig.resolve()}")
        print(f"url: {sim.url}")
        print(f"contexts: sim (current), sim-readonly, sim-badtoken, sim-ns (namespace shop), "
              f"sim-exec (credential plugin), sim-2 ({sim.url_for('sim-2')})")
        sys.stdout.flush()

        done = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: done.set())
        while not done.wait(3600):
            pass
    except Exception as exc:  # a bad manifest: one line, not a traceback
        print(f"kubesim: {exc}", file=sys.stderr)
        return 1
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
