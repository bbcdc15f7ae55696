"""`python -m local` (`make dev`): run paymux on this machine until Ctrl-C."""

from __future__ import annotations

import argparse
import importlib
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from local.environment import EnvironmentConflictError
from local.functions import layer_paths
from local.intrinsics import IntrinsicError
from local.resources import StackError
from local.schedules import ScheduleError
from local.stack import LocalStack, LocalStackError
from local.state import state_file
from local.template import TemplateError, load_template

STARTUP_ERRORS = (
    LocalStackError,
    TemplateError,
    StackError,
    IntrinsicError,
    ScheduleError,
    EnvironmentConflictError,
    OSError,
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    parser.add_argument("--port", type=int, default=3000, help="API port (default 3000)")
    parser.add_argument("--moto-port", type=int, default=5000, help="moto server port; 0 picks a free one")
    parser.add_argument("--no-schedules", action="store_true", help="do not run the schedules")
    parser.add_argument("--no-demo", action="store_true", help="skip local/demo.py (the bare stack)")
    parser.add_argument("--template", type=Path, default=None, help="default: ./template.yaml")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser.parse_args(argv)


def configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(message)s",
        datefmt="%H:%M:%S",
    )
    # moto's werkzeug access log and botocore's credential chatter drown the useful lines.
    for noisy in ("werkzeug", "botocore", "boto3", "urllib3", "moto"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def put_layers_on_path(template_path: Path) -> None:
    """Make the layers (the `paymux` package) importable before the stack starts, for the demo."""
    template = load_template(template_path)
    for path in reversed(layer_paths(template, template_path.resolve().parent)):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))


def install_demo(stack: LocalStack) -> None:
    """Let `local/demo.py` (sandboxes, demo merchant) join in, if it exists.

    `demo.setup(stack)` runs before `stack.start()`: it configures the stack and appends
    `stack.on_started` hooks, which run once the resources exist and before the API serves.
    """
    try:
        demo = importlib.import_module("local.demo")
    except ModuleNotFoundError as exc:
        if exc.name != "local.demo":
            raise  # local/demo.py exists but imports something missing
        return
    demo.setup(stack)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging(args.verbose)
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()
        # A second Ctrl-C ends the process at once, should a handler hold up the clean stop.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    stack = LocalStack(
        api_port=args.port,
        moto_port=args.moto_port,
        schedules=not args.no_schedules,
        template_path=args.template,
        state_file=state_file(),  # for `python -m ops --local`
    )
    try:
        if not args.no_demo:
            put_layers_on_path(stack.template_path)
            install_demo(stack)
        stack.start()
    except STARTUP_ERRORS as exc:
        logging.getLogger("local").error("local stack failed to start: %s", exc)
        stack.stop()
        return 1
    print(f"\npaymux local API: {stack.api_url}   (moto: {stack.moto_url})  Ctrl-C stops\n")
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        logging.getLogger("local").info("stopping")
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
