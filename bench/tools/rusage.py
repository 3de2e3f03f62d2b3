"""bench/tools/rusage.py CMD...: run CMD and print, after its output, the
user and system CPU and the peak RSS of the largest process of its tree
(wait4), as "bench-rusage {...}". make bench wraps the non-nslab tools in it
inside their world, so the world's own nslab process is not counted."""
import json
import os
import subprocess
import sys

p = subprocess.Popen(sys.argv[1:])
_, status, ru = os.wait4(p.pid, 0)
print("bench-rusage " + json.dumps({"user": ru.ru_utime, "sys": ru.ru_stime, "rss_mb": ru.ru_maxrss / 1024}),
      flush=True)
sys.exit(os.waitstatus_to_exitcode(status))
