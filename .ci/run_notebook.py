"""Execute one notebook headless for ``nox -s reproduce``: papermill, with every cell's output
(progress bars included) logged to the console as it comes, on a kernel reached over IPC sockets
(the default TCP transport makes ipykernel warn "Kernel is running over TCP without encryption"
at every start, and opens ports on the machine for nothing).

    python .ci/run_notebook.py IN.ipynb OUT.ipynb --kernel NAME --cwd DIR -p profile mini -p paper_dir paper
"""

from __future__ import annotations

import argparse
import json
import logging
import sys


def parameter_value(text: str):
    """A ``-p`` value: JSON when it parses (numbers, true/false, lists, null), else the text itself."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--kernel", required=True, help="the Jupyter kernel to run the notebook on")
    parser.add_argument("--cwd", default=None, help="the kernel's working directory")
    parser.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"), dest="parameters")
    args = parser.parse_args(argv)

    import papermill
    from traitlets.config import Config

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    papermill.execute_notebook(
        args.input,
        args.output,
        parameters={name: parameter_value(value) for name, value in args.parameters},
        kernel_name=args.kernel,
        cwd=args.cwd,
        log_output=True,
        progress_bar=False,
        config=Config({"KernelManager": {"transport": "ipc"}}),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
