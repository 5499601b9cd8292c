"""The check runner the Python test scripts share.

    check = Checks()

    @check("the server answers")
    def answers(harness):
        expect(..., "what went wrong")

    passed, failed, skipped = check.run(harness, name_filter)

Each check prints `ok`, `FAIL` (with the file and line of an unexpected exception) or `skip`,
and the run goes on after a failure, so one report shows every broken check.
"""
import time
import traceback
from pathlib import Path


class CheckFailed(Exception):
    pass


class Skipped(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


class Checks:
    def __init__(self):
        self.registered = []

    def __call__(self, name):
        def register(fn):
            self.registered.append((name, fn))
            return fn
        return register

    def run(self, harness, name_filter="", always=(), after=None):
        """Runs the checks whose name contains `name_filter` (and those in `always`), calling
        `after(harness)` after each of the others; returns (passed, failed names, skipped)."""
        passed, failed, skipped = 0, [], 0
        for name, fn in self.registered:
            if name_filter and name_filter not in name and fn not in always:
                continue
            start = time.monotonic()
            try:
                fn(harness)
            except Skipped as e:
                skipped += 1
                print(f"skip  {name}: {e}", flush=True)
                continue
            except CheckFailed as e:
                failed.append(name)
                print(f"FAIL  {name}: {e}", flush=True)
                continue
            except Exception as e:
                failed.append(name)
                where = traceback.extract_tb(e.__traceback__)[-1]
                first = str(e).splitlines()[0] if str(e) else ""
                print(f"FAIL  {name}: {type(e).__name__}: {first} (at {Path(where.filename).name}:{where.lineno})", flush=True)
                continue
            finally:
                if after and fn not in always:
                    after(harness)
            passed += 1
            print(f"ok    {name} ({time.monotonic() - start:.2f} s)", flush=True)
        return passed, failed, skipped
