"""Where the parallel map of preprocessing runs: here, on local processes, or on Dask.

Tokenization is embarrassingly parallel: every unit is segmented on its own. The
:class:`~topiclab.Preprocessor` maps over batches of texts with joblib; this module only
decides which joblib backend that map uses:

* ``scheduler=None`` (the default): joblib's ``loky`` processes on this machine, as many
  as ``parallel.n_jobs``;
* ``scheduler="local"``: a Dask ``distributed.LocalCluster`` started here and shut down
  afterwards (tests, or trying the cluster path on one machine);
* ``scheduler="tcp://host:8786"`` (any scheduler address): a running Dask cluster. Its
  workers need topiclab and pyvi installed, at the same versions as here.

The tokens do not depend on the backend: each text is processed by the same pure function
wherever it runs, and joblib returns the batches in input order.

Examples
--------
>>> from topiclab import Preprocessor
>>> from topiclab.parallel import parallel_backend
>>> with parallel_backend(None, n_jobs=2) as info:  # doctest: +SKIP
...     tokens = Preprocessor(n_jobs=info.n_jobs, backend=info.backend).transform(texts)
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

__all__ = [
    "LOCAL_CLUSTER",
    "ParallelInfo",
    "parallel_backend",
    "preprocess_parallel",
    "release_workers",
    "scheduler_from_config",
]

#: Scheduler value that starts a Dask ``LocalCluster`` on this machine.
LOCAL_CLUSTER = "local"


@dataclass(frozen=True)
class ParallelInfo:
    """The backend a block of parallel work runs on.

    Attributes
    ----------
    backend : str
        joblib backend name to give :class:`~topiclab.Preprocessor` (``"loky"`` or
        ``"dask"``).
    n_jobs : int
        Parallel jobs: the given ``n_jobs`` locally, -1 (every Dask worker) on a cluster.
    scheduler : str or None
        The Dask scheduler address, or None for local processes.
    n_workers : int
        Dask workers connected (0 for local processes).
    """

    backend: str
    n_jobs: int
    scheduler: str | None
    n_workers: int


def scheduler_from_config(config: dict[str, Any]) -> str | None:
    """The Dask scheduler a run configuration names (``parallel.scheduler``), or None."""
    scheduler = (config.get("parallel") or {}).get("scheduler")
    if scheduler is None:
        return None
    if not isinstance(scheduler, str) or not scheduler.strip():
        raise ValueError(
            f"parallel.scheduler must be a Dask scheduler address such as "
            f"tcp://10.0.0.5:8786, {LOCAL_CLUSTER!r} or null, got {scheduler!r}"
        )
    return scheduler.strip()


@contextmanager
def parallel_backend(
    scheduler: str | None = None,
    *,
    n_jobs: int = 1,
    n_workers: int = 2,
    processes: bool = True,
    timeout: float = 30.0,
) -> Iterator[ParallelInfo]:
    """Make joblib run on local processes or on a Dask cluster inside the block.

    Parameters
    ----------
    scheduler : str or None, default=None
        None for joblib's local processes; ``"local"`` to start a ``LocalCluster`` for the
        block; otherwise the address of a running Dask scheduler (``tcp://host:8786``).
    n_jobs : int, default=1
        Local processes when ``scheduler`` is None.
    n_workers : int, default=2
        Workers of the ``LocalCluster`` (``scheduler="local"`` only).
    processes : bool, default=True
        Whether the ``LocalCluster`` workers are processes (False: threads in this
        process, which starts faster but shares the interpreter lock).
    timeout : float, default=30.0
        Seconds to wait for the scheduler to answer.

    Yields
    ------
    ParallelInfo
        The backend and job count to hand to :class:`~topiclab.Preprocessor`.

    Raises
    ------
    OSError
        If a scheduler address is given and nothing answers there within ``timeout``
        (the message names the address).
    """
    if scheduler is None:
        yield ParallelInfo(backend="loky", n_jobs=n_jobs, scheduler=None, n_workers=0)
        return

    import joblib
    from distributed import Client, LocalCluster
    from joblib.parallel import get_active_backend

    with ExitStack() as stack:
        if scheduler == LOCAL_CLUSTER:
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=n_workers,
                    threads_per_worker=1,
                    processes=processes,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
            )
            client = stack.enter_context(Client(cluster, timeout=timeout))
        else:
            try:
                client = stack.enter_context(Client(scheduler, timeout=timeout))
            except OSError as error:
                raise OSError(
                    f"no Dask scheduler answered at {scheduler!r} within {timeout:.0f} s "
                    f"(set parallel.scheduler to a running scheduler, or null to run locally): "
                    f"{error}"
                ) from error
        workers = len(client.scheduler_info(n_workers=-1).get("workers", {}))
        logger.info(
            "preprocessing on Dask at %s with %d workers", client.scheduler.address, workers
        )
        stack.enter_context(joblib.parallel_config(backend="dask"))
        # The backend object, not its name: joblib 1.6 builds a named "dask" backend with a
        # nesting_level keyword that ends up forwarded to every task (TypeError in Batch).
        backend, _ = get_active_backend()
        yield ParallelInfo(
            backend=backend, n_jobs=-1, scheduler=client.scheduler.address, n_workers=workers
        )


def preprocess_parallel(
    texts: Sequence[str],
    preprocessor: Any = None,
    *,
    scheduler: str | None = None,
    n_jobs: int = 1,
    n_workers: int = 2,
    processes: bool = True,
) -> list[list[str]]:
    """Tokens of ``texts`` with the preprocessing map run where ``scheduler`` says.

    Parameters
    ----------
    texts : sequence of str
    preprocessor : Preprocessor, optional
        Its token-deciding settings are used; ``n_jobs`` and ``backend`` are replaced by
        the chosen backend's. Default: ``Preprocessor()``.
    scheduler, n_jobs, n_workers, processes
        As in :func:`parallel_backend`.

    Returns
    -------
    list of list of str
        The same tokens as a serial ``preprocessor.transform(texts)``.
    """
    from topiclab.preprocess import Preprocessor

    base = Preprocessor() if preprocessor is None else preprocessor
    with parallel_backend(
        scheduler, n_jobs=n_jobs, n_workers=n_workers, processes=processes
    ) as info:
        worker = Preprocessor(
            **{**base.get_params(), "n_jobs": info.n_jobs, "backend": info.backend}
        )
        return worker.transform(texts)


def release_workers() -> None:
    """Stop joblib's idle worker processes and give this process's free memory back.

    loky keeps its workers for minutes to reuse them. Each holds the libraries and what its
    last task left behind: after an LDA fit, a worker kept about 350 MB at 80,000 articles,
    on top of which its next fit (NMF) would allocate. A run calls this between stages and
    between the models it fits, so that the next fits start in new workers.
    """
    from joblib.externals.loky import get_reusable_executor

    from topiclab.memory import release_memory

    get_reusable_executor().shutdown(wait=True)
    release_memory()
