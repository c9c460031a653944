"""loopback.py - what the tests' HTTP servers (hubserver.py, fileserver.py,
qdrantserver.py) share: announcing where they listen and running until
told to stop.

announce_and_wait(port_file, info, log_fh, log_lock) writes info (the
server's URLs and pid) to port_file atomically (temp name + rename: a test
polling for the file never reads half of it), then sleeps until SIGTERM or
SIGINT, flushing the request log before it exits."""

import json
import os
import signal


def announce_and_wait(port_file, info, log_fh=None, log_lock=None):
    tmp = port_file + ".tmp.%d" % os.getpid()
    with open(tmp, "w") as f:
        json.dump(info, f)
        f.write("\n")
    os.replace(tmp, port_file)

    def stop(*_):
        if log_fh:
            if log_lock:
                with log_lock:
                    log_fh.flush()
            else:
                log_fh.flush()
        os._exit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        signal.pause()
