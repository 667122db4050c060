"""What the twin proxies under bench/ share: one line per epoch on stdout, and the result JSON
(the command, commit and machine with the proxy's own fields) written to a temporary path and
renamed into place."""
import json
import os
import subprocess

from vab_psnr import cpu_name


def print_row(row):
    """An epoch's row as one JSON line, floats rounded to 4 places."""
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}),
          flush=True)


def write_result(out, benchmark, command, fields):
    """bench/results JSON at `out`: benchmark, command, commit, machine, then `fields`."""
    commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    result = {"benchmark": benchmark, "command": command, "commit": commit,
              "machine": {"cpu": cpu_name(), "cores": os.cpu_count()}, **fields}
    with open(out + ".tmp", "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    os.replace(out + ".tmp", out)
