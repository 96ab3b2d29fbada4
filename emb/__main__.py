"""Entry point for `python -m emb` and the `emb` console script."""

import os
import sys


def main() -> None:
    from emb.cli.main import run

    code = run()
    # Skip the interpreter's teardown (module and object clean-up costs 10+ ms
    # on every call, and scripts call emb many times). Everything emb writes
    # is flushed or closed by now; only the standard streams remain.
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass  # a reader gone, a stream closed: nothing left to say
    os._exit(code)


if __name__ == "__main__":
    main()
