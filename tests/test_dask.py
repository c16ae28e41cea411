"""Ensembles on a Dask cluster: identical results, and a worker lost mid-batch costs nothing."""

from __future__ import annotations

import os
import signal
import threading
import time

import pandas as pd
import pytest
import xarray as xr
from distributed import Client, LocalCluster

import sd_model

from .test_batch import lhs

pytestmark = pytest.mark.slow


@pytest.fixture
def client():
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        yield client


def test_local_cluster_gives_identical_results(client):
    samples = lhs(3000, seed=11)
    local = sd_model.run_batch(samples)
    distributed = sd_model.run_batch(samples, client=client, chunk_size=500)
    xr.testing.assert_identical(local, distributed)


def test_default_chunks_keep_every_worker_busy(client):
    from distributed import get_task_stream

    from sd_model.batch import CHUNKS_PER_THREAD, chunk_size_for

    samples = lhs(4000, seed=13)
    threads = sum(client.nthreads().values())
    assert chunk_size_for(4000, client) == 4000 // (CHUNKS_PER_THREAD * threads)
    with get_task_stream(client) as stream:
        distributed = sd_model.run_batch(samples, client=client)
    chunks = [task for task in stream.data if "_evaluate_chunk" in str(task["key"])]
    assert len(chunks) >= CHUNKS_PER_THREAD * threads
    assert {task["worker"] for task in chunks} == set(client.nthreads()), "a worker got no chunk"
    xr.testing.assert_identical(sd_model.run_batch(samples), distributed)


def test_chunk_sizes_scale_with_the_cluster():
    from sd_model.batch import DEFAULT_CHUNK_SIZE, MIN_DASK_CHUNK, chunk_size_for

    class Cluster:  # what run_batch asks of a client: its worker threads
        def __init__(self, workers):
            self.workers = workers

        def nthreads(self):
            return {f"tcp://w{i}": 1 for i in range(self.workers)}

    assert chunk_size_for(80_000, Cluster(50)) == 800  # 100 chunks for 50 workers
    assert chunk_size_for(10**7, Cluster(2)) == DEFAULT_CHUNK_SIZE
    assert chunk_size_for(1000, Cluster(50)) == MIN_DASK_CHUNK
    assert chunk_size_for(80_000, None) == DEFAULT_CHUNK_SIZE
    assert chunk_size_for(80_000, Cluster(50), 123) == 123
    with pytest.raises(ValueError, match="chunk_size must be a positive whole number"):
        chunk_size_for(10, None, 0)


def test_killed_worker_mid_batch_still_complete_and_correct(client):
    samples = lhs(60_000, seed=12)
    local = sd_model.run_batch(samples, chunk_size=2000)
    pids = client.run(os.getpid)
    victim = sorted(pids.values())[0]
    killed = {}

    def finished_chunks(dask_scheduler) -> int:
        # from the scheduler's log: run_batch releases each chunk once its numbers are home
        return len({t.key for t in dask_scheduler.transition_log if t.finish == "memory" and "chunk" in str(t.key)})

    def kill_once_under_way():
        deadline, done = time.monotonic() + 120, 0
        while done < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
            done = client.run_on_scheduler(finished_chunks)
        killed["chunks done"] = done
        os.kill(victim, signal.SIGKILL)
        killed["at"] = time.monotonic()

    killer = threading.Thread(target=kill_once_under_way)
    killer.start()
    distributed = sd_model.run_batch(samples, client=client, chunk_size=2000)
    finished = time.monotonic()
    killer.join()
    assert "at" in killed and killed["at"] < finished, "the worker must die while the batch runs"
    assert 1 <= killed["chunks done"] < 30, killed
    assert victim not in client.run(os.getpid).values()
    xr.testing.assert_identical(local, distributed)


def test_sensitivity_on_the_cluster_matches_local(client):
    import sensitivity

    options = dict(params="levers", outputs=["employment_rate"], years="2025", n=8, seed=4, progress=False)
    local = sensitivity.morris(**options)
    remote = sensitivity.morris(client=client, **options)
    xr.testing.assert_identical(local.drop_attrs(), remote.drop_attrs())


def test_optimize_on_the_cluster_matches_local(client):
    """The robust-front search sends each generation's batch to Dask and finds the same front."""
    from robustness.optimize import optimize

    options = dict(n=20, population=8, generations=2, seed=6)
    local, remote = optimize(**options), optimize(client=client, **options)
    pd.testing.assert_frame_equal(local["front"], remote["front"])


def test_the_readme_recipe_listens_on_this_machine_only_and_runs_a_batch():
    """The `dask scheduler` and `dask worker` lines of docs/engine.md, run as written (on free ports): every
    socket they listen on is bound to 127.0.0.1, and a batch through them equals a local one."""
    import shlex
    import subprocess

    import psutil

    from sd_model.paths import ROOT

    from .browser import free_port

    readme = (ROOT / "docs" / "engine.md").read_text(encoding="utf-8").splitlines()
    port, dashboard = free_port(), free_port()
    processes = []
    try:
        for start in (".venv/bin/dask scheduler", ".venv/bin/dask worker"):
            (line,) = [x for x in readme if x.startswith(start)]
            command = shlex.split(line.split("&")[0].replace("8786", str(port)).replace("8787", str(dashboard)))
            command[0] = str(ROOT / command[0])
            processes.append(subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        with Client(f"tcp://127.0.0.1:{port}", timeout=60) as client:
            client.wait_for_workers(1, timeout=60)
            samples = lhs(600, seed=5)
            xr.testing.assert_identical(sd_model.run_batch(samples), sd_model.run_batch(samples, client=client))
            listening = set()
            for process in processes:
                for child in [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]:
                    listening |= {c.laddr for c in child.net_connections("tcp") if c.status == psutil.CONN_LISTEN}
            assert {a.port for a in listening} >= {port, dashboard}, listening
            assert {a.ip for a in listening} == {"127.0.0.1"}, listening
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
