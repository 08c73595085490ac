"""The kernel a submission runs in: an IPython kernel started under resource limits.

    python -m gdlib.exercises.grading.sandbox --memory BYTES --cpu SECONDS \
        --file-size BYTES -f CONNECTION_FILE

sets, for this process and whatever it starts (``resource.setrlimit``):

- ``RLIMIT_AS``, the address space: an answer that allocates more gets a
  ``MemoryError`` (NumPy's arrays) instead of taking the machine's memory;
- ``RLIMIT_CPU``, CPU seconds: the operating system ends a kernel that
  outlived every other limit;
- ``RLIMIT_FSIZE``, the largest file it may write (a write beyond it fails);
- ``RLIMIT_CORE`` 0: no core dumps;

then starts ipykernel.  The grader's worker (``worker.py``) names this module
in the kernel spec it writes, so no kernel of a submission runs without them.
"""

import argparse
import resource
import signal
import sys


def limit(memory, cpu, file_size):
    for which, value in ((resource.RLIMIT_AS, memory), (resource.RLIMIT_CPU, cpu),
                         (resource.RLIMIT_FSIZE, file_size), (resource.RLIMIT_CORE, 0)):
        _, hard = resource.getrlimit(which)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (value, hard))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)     # a too-large write fails, not the kernel


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory", type=int, required=True, help="bytes of address space")
    parser.add_argument("--cpu", type=int, required=True, help="CPU seconds")
    parser.add_argument("--file-size", type=int, required=True, help="bytes per file written")
    args, kernel_args = parser.parse_known_args(argv)
    limit(args.memory, args.cpu, args.file_size)
    from ipykernel import kernelapp

    sys.argv = [sys.argv[0], *kernel_args]
    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
