"""`LocalStack`: moto + the template's resources, routes, queues and schedules in one process."""

from __future__ import annotations

import itertools
import logging
import os
import sys
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from moto.server import ThreadedMotoServer

from local.api import ApiServer, Route, http_api_routes
from local.cognito import create_user_pools, jwt_authorizers
from local.environment import function_environment, resource_lookup
from local.fixups import apply_ignored_properties
from local.functions import FunctionSpec, LocalFunction, function_specs, layer_paths
from local.intrinsics import Intrinsics, pseudo_parameters, references
from local.moto_dispatch import cached_dispatch_names
from local.moto_queries import partition_queries
from local.moto_serialize import serialize_dynamodb_requests
from local.moto_sqs import cheap_sqs_queues
from local.moto_transactions import item_level_transactions
from local.resources import StackResources, create_stack, plan_stack
from local.schedules import Schedule, ScheduleRunner, run_schedule, template_schedules
from local.sqs import QueueSubscription, SqsPoller, queue_mappings
from local.state import local_outputs, remove_state, write_state
from local.streams import StreamPoller, StreamSubscription, stream_resources, stream_subscriptions
from local.template import choose_parameters, load_template, transform_template

log = logging.getLogger("local.stack")

REPO_ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
# boto3 in this process talks to moto with these; the previous values come back on stop().
_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


class LocalStackError(Exception):
    """The local stack cannot be built from the template."""


class LocalStack:
    """The whole system on one machine; see docs/architecture.md and DESIGN.md §8.

    The stack owns the process's `os.environ` AWS settings and moto's in-process backends,
    which it resets on start. A stack started while another runs (a session-wide test stack,
    say) nests instead: it shares the backends without resetting them, takes a unique stack
    name, and gives the outer stack's environment back when it stops. Stop nested stacks first.
    """

    _running: ClassVar[list[LocalStack]] = []
    _nested_names: ClassVar[Iterator[int]] = itertools.count(2)

    def __init__(
        self,
        api_port: int = 3000,
        moto_port: int = 5000,
        schedules: bool = True,
        sqs_poll: bool = True,
        stream_poll: bool | None = None,
        template_path: Path | None = None,
        root: Path | None = None,
        parameters: dict[str, str] | None = None,
        host: str = "127.0.0.1",
        stack_name: str = "paymux-local",
        state_file: Path | None = None,
    ) -> None:
        self.root = (root or REPO_ROOT).resolve()
        self.template_path = template_path or self.root / "template.yaml"
        self.host = host
        self.stack_name = self._base_name = stack_name
        # Written once started (moto endpoint, outputs by logical name) for `python -m ops --local`.
        self.state_file = state_file
        # Extras (sandboxes, a demo merchant) join in here: `on_started` hooks run once the
        # resources and environment exist, before the API serves; `on_stopped` hooks run on
        # stop() after the API, pollers and schedules have stopped, before moto goes away.
        self.on_started: list[Callable[[LocalStack], None]] = []
        self.on_stopped: list[Callable[[LocalStack], None]] = []
        self.env: dict[str, str] = {}
        self.functions: dict[str, LocalFunction] = {}
        self.queue_urls: dict[str, str] = {}
        self.routes: list[Route] = []
        self.schedules: list[Schedule] = []
        self.subscriptions: list[QueueSubscription] = []
        self.stream_subscriptions: list[StreamSubscription] = []
        self.resources: StackResources | None = None
        self.outputs: dict[str, str] = {}  # the template's Outputs, by logical name
        self._api_port, self._moto_port = api_port, moto_port
        self._run_schedules, self._run_sqs = schedules, sqs_poll
        self._run_streams = sqs_poll if stream_poll is None else stream_poll
        self._wanted_parameters = {"Stage": "local", **(parameters or {})}
        self._moto: ThreadedMotoServer | None = None
        self._api: ApiServer | None = None
        self._pollers: list[SqsPoller] = []
        self._stream_pollers: list[StreamPoller] = []
        self._scheduler: ScheduleRunner | None = None
        self._saved_env: dict[str, str | None] = {}
        self._added_paths: list[str] = []
        self._started_hooks = False

    @property
    def moto_url(self) -> str:
        if self._moto is None:
            raise LocalStackError("the stack is not started")
        host, port = self._moto.get_host_and_port()
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        if self._api is None:
            raise LocalStackError("the stack is not started")
        return f"http://{self.host}:{self._api.port}"

    @property
    def authorizers(self) -> dict[str, Any]:
        """The API's JWT authorizers by name (local.cognito.JwtAuthorizer)."""
        if self._api is None:
            raise LocalStackError("the stack is not started")
        return self._api.authorizers

    @property
    def api_domain(self) -> str:
        """host:port of the local API, as requestContext.domainName gives it."""
        if self._api is None:
            raise LocalStackError("the stack is not started")
        return f"{self.host}:{self._api.port}"

    def start(self) -> LocalStack:
        if self in LocalStack._running:
            raise LocalStackError("this LocalStack is already running")
        self.stack_name = self._base_name
        if LocalStack._running:
            self.stack_name = f"{self._base_name}-{next(LocalStack._nested_names)}"
            log.info("another LocalStack runs in this process; %s nests in it", self.stack_name)
        LocalStack._running.append(self)
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        serialize_dynamodb_requests()  # moto's transactions are not thread-safe
        item_level_transactions()  # ...and copy whole tables: roll back items instead
        partition_queries()  # moto sorts the whole table for every query
        cheap_sqs_queues()  # moto reads the clock twice per queued message, per call
        cached_dispatch_names()  # moto lists a class's methods on every request
        self._start_moto()
        sam = load_template(self.template_path)
        parameters = choose_parameters(sam, self._wanted_parameters)
        cfn = transform_template(sam, parameters, REGION)
        code_root = self.template_path.resolve().parent  # SAM resolves CodeUri from here
        specs = function_specs(cfn, code_root, self.stack_name)
        mappings = queue_mappings(cfn)
        self._create_resources(cfn, specs, mappings, parameters)
        self._api = ApiServer(
            http_api_routes(sam), self.invoke, self.host, self._api_port, name=f"api-{self.stack_name}"
        )
        self._api.authorizers = jwt_authorizers(sam, self._resolver(cfn, specs, parameters), self.moto_url)
        self.routes = self._api.routes
        # The stack may have had to use an allowed Stage; the environment says what runs here.
        declared = set(sam.get("Parameters") or {})
        local_values = {k: v for k, v in self._wanted_parameters.items() if k in declared}
        # PAYMUX_API_DOMAIN is the local API's own domain (served over http): what the deployed
        # functions read from the template's ApiDomainParameter when PublicBaseUrl is empty.
        overrides = {
            "PAYMUX_STAGE": "local",
            "PAYMUX_ALLOW_HTTP_URLS": "true",
            "PAYMUX_API_DOMAIN": self.api_domain,
        }
        resolver = self._resolver(cfn, specs, parameters | local_values)
        self.env = function_environment(specs, resolver, overrides)
        self._set_env(dict(self.env))
        self.outputs = self._outputs(cfn, resolver)
        if self.state_file is not None:
            write_state(self.state_file, self.state())
        self._add_paths(layer_paths(cfn, code_root))
        self.functions = {k: LocalFunction(s, REGION) for k, s in specs.items()}
        self.subscriptions = self._subscriptions(mappings)
        assert self.resources is not None
        self.stream_subscriptions = stream_subscriptions(cfn, self.resources, set(self.functions))
        self.schedules = template_schedules(cfn, set(self.functions), REGION)
        for schedule in self.schedules:
            schedule.next_after(datetime.now(UTC))  # fail at start on an expression we can't run
        self._started_hooks = True  # from here on, on_stopped hooks run on stop()
        for hook in self.on_started:
            hook(self)
        self._serve()

    def _start_moto(self) -> None:
        self._set_env(_AWS_ENV | {"AWS_PROFILE": None})
        self._moto = ThreadedMotoServer(self.host, self._moto_port, verbose=False)
        self._moto.start()
        if LocalStack._running == [self]:
            # moto's backends live in this process (and may hold a previous stack): start empty.
            reset = urllib.request.Request(f"{self.moto_url}/moto-api/reset", method="POST")  # noqa: S310
            urllib.request.urlopen(reset, timeout=10).close()  # noqa: S310 (our own loopback server)
        self._set_env({"AWS_ENDPOINT_URL": self.moto_url})

    def _create_resources(
        self,
        cfn: dict[str, Any],
        specs: dict[str, FunctionSpec],
        mappings: list[tuple[str, str, dict[str, Any]]],
        parameters: dict[str, str],
    ) -> None:
        wanted = set().union(*(references(s.environment) for s in specs.values()))
        wanted |= {(queue, "Arn") for _, queue, _ in mappings}
        wanted |= stream_resources(cfn)
        plan = plan_stack(cfn, parameters, wanted)
        self._log_skipped(plan.skipped)
        self.resources = create_stack(self.stack_name, plan, parameters)
        resolver = self._resolver(cfn, specs, parameters)
        create_user_pools(cfn, self.resources, resolver.resolve)  # moto's CloudFormation has no Cognito
        apply_ignored_properties(plan.template["Resources"], self.resources.refs, resolver.resolve)
        self.queue_urls = {
            k: self.resources.refs[k] for k, kind in self.resources.types.items() if kind == "AWS::SQS::Queue"
        }

    def _subscriptions(self, mappings: list[tuple[str, str, dict[str, Any]]]) -> list[QueueSubscription]:
        assert self.resources is not None
        return [
            QueueSubscription(
                function=function,
                queue=queue,
                queue_url=self.resources.refs[queue],
                queue_arn=self.resources.attributes[(queue, "Arn")],
                batch_size=int(props.get("BatchSize", 10)),
                report_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
            )
            for function, queue, props in mappings
            if function in self.functions and props.get("Enabled", True) is not False
        ]

    def _serve(self) -> None:
        assert self._api is not None
        self._api.start()
        if self._run_sqs:
            self._pollers = [SqsPoller(s, self.invoke, REGION) for s in self.subscriptions]
            for poller in self._pollers:
                poller.start()
        if self._run_streams:
            self._stream_pollers = [StreamPoller(s, self.invoke, REGION) for s in self.stream_subscriptions]
            for stream_poller in self._stream_pollers:
                stream_poller.start()
        if self._run_schedules:
            self._scheduler = ScheduleRunner(self.schedules, self.invoke)
            self._scheduler.start()
        log.info(
            "local stack up: %d routes, %d SQS pollers, %d of %d schedules running; moto at %s",
            len(self.routes),
            len(self._pollers),
            len(self._scheduler.schedules) if self._scheduler else 0,
            len(self.schedules),
            self.moto_url,
        )

    def stop(self) -> None:
        """Stop threads and servers and give the process its environment back; idempotent."""
        self._stop_invokers()
        if self._started_hooks:
            self._started_hooks = False
            for hook in self.on_stopped:
                try:
                    hook(self)
                except Exception:
                    log.exception("an on_stopped hook failed")
        if self._moto is not None:
            if LocalStack._running[:1] != [self] and self.resources is not None:
                self._delete_nested_stack()
            self._moto.stop()
            self._moto = None
        self._restore_process()
        if self.state_file is not None:
            remove_state(self.state_file, self.stack_name)
        if self in LocalStack._running:
            if LocalStack._running[-1] is not self:
                log.warning("%s stopped before a stack nested in it", self.stack_name)
            LocalStack._running.remove(self)

    def _delete_nested_stack(self) -> None:
        """A nested stack shares moto with the outer one: take its resources away with it."""
        try:
            boto3.client("cloudformation").delete_stack(StackName=self.stack_name)
        except (BotoCoreError, ClientError) as exc:
            log.warning("could not delete the nested stack %s: %s", self.stack_name, exc)

    def _stop_invokers(self) -> None:
        """Schedules, pollers and the API: nothing invokes a handler after this returns."""
        if self._scheduler is not None:
            self._scheduler.stop()
            self._scheduler = None
        for poller in self._pollers:
            poller.stop()
        self._pollers = []
        for stream_poller in self._stream_pollers:
            stream_poller.stop()
        self._stream_pollers = []
        if self._api is not None:
            self._api.stop()
            self._api = None

    def _restore_process(self) -> None:
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env = {}
        for path in self._added_paths:
            if path in sys.path:
                sys.path.remove(path)
        self._added_paths = []

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Invoke a function in-process with a fresh Lambda context; its exceptions propagate."""
        function = self.functions.get(logical_id)
        if function is None:
            raise LocalStackError(f"no function {logical_id}; have {sorted(self.functions)}")
        return function.invoke(event)

    def run_schedule(self, logical_id: str) -> Any:
        """Run a function's (first) schedule now, with the event the schedule would pass."""
        for schedule in self.schedules:
            if logical_id in (schedule.function, schedule.name):
                return run_schedule(schedule, self.invoke)
        raise LocalStackError(f"{logical_id} has no schedule in {self.template_path.name}")

    def _resolver(
        self, cfn: dict[str, Any], specs: dict[str, FunctionSpec], parameters: dict[str, str]
    ) -> Intrinsics:
        assert self.resources is not None
        return Intrinsics(
            pseudo_parameters(REGION, self.stack_name) | parameters,
            resource_lookup(self.resources, specs, REGION),
            cfn.get("Conditions") or {},
            cfn.get("Mappings") or {},
        )

    def _outputs(self, cfn: dict[str, Any], resolver: Intrinsics) -> dict[str, str]:
        assert self.resources is not None
        callback_base = self.env.get("PAYMUX_PUBLIC_BASE_URL") or self.api_url
        return local_outputs(cfn, resolver, set(self.resources.refs), self.api_url, callback_base)

    def state(self) -> dict[str, Any]:
        """What another process needs to reach this stack: `python -m ops --local` reads it."""
        return {
            "stack_name": self.stack_name,
            "stage": self.env["PAYMUX_STAGE"],
            "region": REGION,
            "endpoint_url": self.moto_url,
            "outputs": dict(self.outputs),
        }

    def _set_env(self, values: dict[str, str | None]) -> None:
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def _add_paths(self, paths: list[Path]) -> None:
        for path in paths:
            if str(path) not in sys.path:
                sys.path.insert(0, str(path))
                self._added_paths.append(str(path))

    @staticmethod
    def _log_skipped(skipped: dict[str, tuple[str, str]]) -> None:
        kinds = Counter(kind for kind, reason in skipped.values() if not reason)
        summary = ", ".join(f"{kind} x{n}" if n > 1 else kind for kind, n in sorted(kinds.items()))
        log.info("skipped (played locally or AWS-only): %s", summary or "nothing")
        for logical_id, (kind, reason) in sorted(skipped.items()):
            if reason:
                log.info("skipped %s %s: %s", logical_id, kind, reason)
