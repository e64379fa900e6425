"""Ray: an embedded local cluster on this machine's cores, or an existing cluster.

One song is one Ray task. It is handed a ``SongJob`` (paths and options; the audio stays on
disk) and declares to the scheduler the cores it will keep busy and the memory it may need,
so a node never takes more songs than it can hold. A worker that dies (killed, crashed, out
of memory) is retried ``retries`` times by Ray; after that its song comes back as a failed
row with a one-line reason, and the other songs go on.

Ray is imported here only, and only when a batch has work to do (it takes a second or two).
The local cluster starts no dashboard and sends no usage stats; Ray's token authentication
stays on (its default for a local cluster, which it otherwise announces on stderr).
"""

from __future__ import annotations

import logging
import math
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from mixchat.assistant.batch.errors import BatchError
from mixchat.assistant.batch.jobs import SongJob
from mixchat.assistant.batch.song import failed_row, process_song
from mixchat.tools.config import default_for_libraries, worker_blas_env

LOCAL_OBJECT_STORE_BYTES = 128 * 1024**2  # tasks return small rows; no audio goes through it
# Ray ends a worker that stands idle for a second while it counts more workers than it wants
# (a song taking both cores is enough). The next song given that slot then waits for a new
# process to start and import mixchat (~1.5 cpu-s, seconds of wall time), and every song
# queued behind it on that worker starts late. The embedded cluster lives for one batch (or
# one driver that runs batch after batch): its workers stay until it shuts down.
LOCAL_SYSTEM_CONFIG = {"idle_worker_killing_time_threshold_ms": 24 * 3600 * 1000}
AUTH_NOTICE_LOGGER = "ray._private.authentication.authentication_token_setup"
PROBE_TIMEOUT_S = 5.0  # Ray itself retries an address that does not answer for ~10 minutes
ADDRESS_EXAMPLE = "HOST:6379 of `ray start --head`, or ray://HOST:10001"
TASK_PREFIX = "mixchat-batch:"  # a running song's process title is "ray::mixchat-batch:<song>"


@dataclass(frozen=True)
class Capacity:
    """What the cluster offers one song."""

    cpus_total: float
    cpus_per_node: float
    memory_per_node: float

    def share(self, workers: int | None, *, songs: int) -> tuple[int, float, int]:
        """(songs at once, cores each song declares, threads each song runs): ``workers``
        songs at once, by default one per core, never more than there are songs."""
        count = max(1, min(workers or int(self.cpus_total), songs))
        cpus = min(self.cpus_total / count, self.cpus_per_node)
        cpus = max(math.floor(cpus * 1000) / 1000, 0.001)  # Ray sums fractions to 1e-4
        return count, cpus, max(1, math.floor(cpus))


def _ray() -> Any:
    default_for_libraries({"RAY_USAGE_STATS_ENABLED": "0"})
    import ray  # a second or two to import: only when a batch has work to do

    return ray


@contextmanager
def connect(*, address: str | None, cores: int) -> Iterator[Any]:
    """Ray, joined to ``address`` or to a new local cluster of ``cores`` CPUs, shut down
    afterwards. A Ray that this process already started (tests share one) is used as it is
    and left running."""
    if address:
        probe(address)
    ray = _ray()
    if ray.is_initialized():
        yield ray
        return
    quiet = {
        "logging_level": logging.WARNING,
        "log_to_driver": False,
        "runtime_env": {"env_vars": worker_blas_env()},
    }
    logging.getLogger(AUTH_NOTICE_LOGGER).setLevel(logging.ERROR)
    try:
        if address:
            ray.init(address=address, **quiet)
        else:
            ray.init(address="local", **local_cluster_options(cores), **quiet)
    except (ConnectionError, RuntimeError, ValueError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        where = f"--address {address}" if address else "the local Ray cluster"
        hint = (
            "it answers but let no driver in: run mixchat with the cluster's Ray version, and "
            "with RAY_AUTH_MODE=token when the cluster uses token authentication"
            if address
            else "check that /tmp is writable and free ports exist on 127.0.0.1"
        )
        raise BatchError(f"{where}: cannot start ({first}); {hint}") from None
    with raylet_messages_off(ray):
        try:
            yield ray
        finally:
            ray.shutdown()


@contextmanager
def raylet_messages_off(ray: Any) -> Iterator[None]:
    """Ray's driver prints the raylet's messages ("A worker died ...", a dozen lines, then
    "will be retried") on stdout, where ``--json`` owes one JSON object and nothing else.
    The song's row already says it, in one line. The switch is the one Ray's own debugger
    uses; a Ray without it only brings the messages back."""
    module = getattr(getattr(ray, "_private", None), "worker", None)
    if module is None or not hasattr(module, "_worker_logs_enabled"):
        yield
        return
    module._worker_logs_enabled = False
    try:
        yield
    finally:
        module._worker_logs_enabled = True


def probe(address: str) -> None:
    """Refuse, in a few seconds and in one line, an address where nothing answers: Ray would
    keep retrying it for minutes, printing gRPC warnings. ``auto`` (the cluster this machine
    is part of) is left to Ray."""
    if address == "auto":
        return
    host, _, port = address.split("://", 1)[-1].rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise BatchError(f"--address {address}: give HOST:PORT, e.g. {ADDRESS_EXAMPLE}")
    try:
        socket.create_connection((host, int(port)), timeout=PROBE_TIMEOUT_S).close()
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        raise BatchError(
            f"--address {address}: nothing answers there ({reason}); check the address "
            f"({ADDRESS_EXAMPLE}) and that the cluster is up, or leave --address out"
        ) from None


def local_cluster_options(cores: int) -> dict[str, Any]:
    """``ray.init`` keywords for the embedded cluster: this machine's cores, no dashboard,
    workers kept warm."""
    return {
        "num_cpus": cores,
        "include_dashboard": False,
        "object_store_memory": LOCAL_OBJECT_STORE_BYTES,
        "_system_config": LOCAL_SYSTEM_CONFIG,
    }


def capacity(ray: Any) -> Capacity:
    nodes = [node for node in ray.nodes() if node.get("Alive")]
    resources = [node.get("Resources", {}) for node in nodes]
    return Capacity(
        cpus_total=float(ray.cluster_resources().get("CPU", 1.0)),
        cpus_per_node=max((r.get("CPU", 0.0) for r in resources), default=1.0),
        memory_per_node=max((r.get("memory", 0.0) for r in resources), default=0.0),
    )


def run_songs(
    ray: Any,
    jobs: list[tuple[SongJob, int]],
    *,
    cpus: float,
    memory_per_node: float,
    retries: int,
    on_row: Callable[[dict[str, Any]], None],
) -> None:
    """Run each (job, memory bytes) as a task; ``on_row`` gets each song's row as it ends."""
    remote = ray.remote(process_song)
    pending: dict[Any, SongJob] = {}
    for job, memory in jobs:
        if memory_per_node and memory > memory_per_node:
            on_row(failed_row(job, _too_big(memory, memory_per_node)))
            continue
        ref = remote.options(
            num_cpus=cpus,
            memory=memory,
            max_retries=retries,
            retry_exceptions=False,
            name=f"{TASK_PREFIX}{job.song}",
        ).remote(job)
        pending[ref] = job
    try:
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                job = pending.pop(ref)
                on_row(_result(ray, ref, job, retries))
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)


def _result(ray: Any, ref: Any, job: SongJob, retries: int) -> dict[str, Any]:
    try:
        return dict(ray.get(ref))
    except ray.exceptions.RayError as error:
        return failed_row(job, crash_reason(ray, error, tries=retries + 1))


def crash_reason(ray: Any, error: Exception, *, tries: int) -> str:
    """One line for a task that did not come back."""
    errors = ray.exceptions
    times = "once" if tries == 1 else f"{tries} times"
    if isinstance(error, errors.OutOfMemoryError):
        return (
            "ran out of memory: Ray stopped its worker to save the node; "
            "run it with fewer --workers or on a node with more memory"
        )
    if isinstance(error, errors.WorkerCrashedError):
        return (
            f"the worker making it died (killed or crashed) {times}; "
            "run the batch again to retry it"
        )
    if isinstance(error, errors.NodeDiedError | errors.LocalRayletDiedError):
        return "the node making it left the cluster; run the batch again to retry it"
    if isinstance(error, errors.TaskCancelledError):
        return "cancelled before it finished; run the batch again to finish it"
    lines = [line for line in str(error).splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[-1] if lines else 'no message'}"


def _too_big(memory: float, per_node: float) -> str:
    gib = 1024**3
    return (
        f"needs about {memory / gib:.1f} GiB of memory, more than any node of the cluster has "
        f"({per_node / gib:.1f} GiB); shorten the stems or add a bigger node"
    )
