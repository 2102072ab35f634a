"""Frame workers end when the process that started them ends, however it ends (even by SIGKILL).

Two mechanisms, because of forkserver. A fork or spawn worker's parent is the main process: the kernel kills the
worker when it dies (PR_SET_PDEATHSIG). A forkserver worker's parent is the server, which does not exit when
the main process dies: it waits until every process holding its "alive" pipe has closed it, and its workers
hold it. So such a worker watches the main process itself, through a pidfd that becomes readable when it exits;
the worker then exits, the server sees its pipe close and exits, and so does multiprocessing's resource tracker.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import threading


def end_with(main: int) -> None:
    """Make this worker process end when process `main` ends (Linux; elsewhere nothing is done)."""
    if not sys.platform.startswith("linux"):
        return
    if os.getppid() == main:
        _kill_when_parent_dies()
    else:  # forkserver
        _exit_when_gone(main)
    try:
        os.kill(main, 0)  # it ended before either mechanism was in place
    except ProcessLookupError:
        os._exit(1)
    except PermissionError:
        pass


def _kill_when_parent_dies() -> None:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)  # SIGKILL: workers ignore SIGTERM, and have nothing to clean up
    except (OSError, AttributeError):
        pass


def _exit_when_gone(pid: int) -> None:
    try:
        watched = os.pidfd_open(pid)  # Linux 5.3+
    except ProcessLookupError:
        os._exit(1)
    except (OSError, AttributeError):
        return

    def watch() -> None:
        select.select([watched], [], [])  # readable once the process has exited
        os._exit(1)

    threading.Thread(target=watch, name="scenespec-lifeline", daemon=True).start()
