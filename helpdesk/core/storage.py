"""The data dir is the service's user's only: 0700 directories, 0600 files.

Every process sets umask 077 first (main.py, the API, the bridge, the CLI), so what they create
is private; this also tightens what an older version left readable."""

import os
import stat
from pathlib import Path

from helpdesk.core.config import get_settings


def private_data_dir(path: Path | None = None) -> Path:
    root = path or get_settings().data_dir
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    root.chmod(0o700)
    for directory, subdirs, files in os.walk(root):
        for name in subdirs:
            (Path(directory) / name).chmod(0o700)
        for name in files:
            file = Path(directory) / name
            if not file.is_symlink() and stat.S_IMODE(file.stat().st_mode) & 0o077:
                file.chmod(0o600)
    return root
