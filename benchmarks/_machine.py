"""The machine a benchmark ran on, recorded beside its results."""

import json
import os
import platform
import subprocess
from pathlib import Path


def describe_machine(device="cpu"):
    """Hardware, load and library versions, as a JSON-ready dict.

    Parameters
    ----------
    device : {"cpu", "cuda"}, default="cpu"
        With ``"cuda"`` the name of the current GPU is included.

    Returns
    -------
    machine : dict
        CPU model, core counts, torch threads, load average, GPU, the versions
        of Python, torch, skorch, scikit-learn, numpy and sklearn-snn (with the
        folder it was imported from) and the git commit of the benchmarks.
    """
    import numpy as np
    import sklearn
    import skorch
    import torch

    import sklearn_snn

    cpu = platform.processor() or platform.machine()
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as cpuinfo:
            models = [line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line]
        cpu = models[0] if models else cpu
    affinity = getattr(os, "sched_getaffinity", None)
    try:
        git = ["git", "-C", str(Path(__file__).parent), "describe", "--always", "--dirty"]
        commit = subprocess.check_output(git, text=True, stderr=subprocess.DEVNULL).strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    return dict(
        platform=platform.platform(),
        cpu=cpu,
        cpu_count=os.cpu_count(),
        usable_cores=len(affinity(0)) if affinity else os.cpu_count(),
        torch_threads=torch.get_num_threads(),
        load_average=os.getloadavg() if hasattr(os, "getloadavg") else None,
        gpu=torch.cuda.get_device_name() if device == "cuda" else None,
        python=platform.python_version(),
        torch=torch.__version__,
        skorch=skorch.__version__,
        sklearn=sklearn.__version__,
        numpy=np.__version__,
        sklearn_snn=f"{sklearn_snn.__version__} ({Path(sklearn_snn.__file__).parent})",
        git_commit=commit,
    )


def write_report(args, machine, kind, rows):
    """Write ``<kind>_<device>.json`` beside ``args.output`` with the machine and settings.

    Parameters
    ----------
    args : argparse.Namespace
        The script's arguments; ``args.output`` names the ``speed_`` report.
    machine : dict
        From :func:`describe_machine`; the load average at the end is added.
    kind : str
        ``"latency"``, ``"ensemble"``, ...: the report's name and its rows' key.
    rows : list of dict
        The measurements.

    Returns
    -------
    path : pathlib.Path
        The file written.
    """
    machine["load_average_at_end"] = os.getloadavg()
    report = {"machine": machine, "settings": vars(args), kind: rows}
    output = args.output.with_name(args.output.name.replace("speed_", f"{kind}_"))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"\nwrote {output}")
    return output
