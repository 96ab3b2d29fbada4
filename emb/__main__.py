"""Entry point for `python -m emb` and the `emb` console script."""

import sys


def main() -> None:
    from emb.cli.main import run

    sys.exit(run())


if __name__ == "__main__":
    main()
