#!/usr/bin/env python3
"""Launcher for the DIRAC pilot executable, shipped in pilot.tar in place of the Python pilot.

DIRAC's pilot wrapper runs `python dirac-pilot.py <options> --pilotUUID <uuid>`. This script finds
the pilot executable for this machine's architecture and replaces itself with `<executable> run
<options>`: same arguments, environment and standard input (the wrapper's buffered log records).
Where it looks, in order: beside this file; under each --CVMFS_locations entry, in
<location>/<project>dirac/pilot/ (the wrapper's own CVMFS layout); then it downloads the
compressed executable from the file servers named in CONFIG, checking its sha512 against the one
recorded there (this file came in pilot.tar, which the wrapper checked). CONFIG is written into
this file by scripts/build-pilot-tar.mjs, so that pilot.tar can hold this one file: DIRAC's
PilotSyncAgent tars the *.py files of the pilot repository it is given. Python 3.6+, standard
library only. Exit codes: 40 no executable for this architecture, 23 none found nor downloaded.
"""
import gzip
import hashlib
import os
import platform
import shutil
import ssl
import sys
from urllib.request import urlopen

# File servers and the sha512 of each compressed executable; one line, replaced by the build.
CONFIG = {"urls": [], "executables": {}}

ARCHITECTURES = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}
HERE = os.path.dirname(os.path.abspath(__file__))


def say(message):
    sys.stderr.write("dirac-pilot.py: %s\n" % message)
    sys.stderr.flush()


def option(names):
    """The value of an option given as `-x v`, `--x v` or `--x=v` (the last one wins, as in the pilot)."""
    value, args = None, sys.argv[1:]
    for i, arg in enumerate(args):
        for name in names:
            if arg == name and i + 1 < len(args):
                value = args[i + 1]
            elif name.startswith("--") and arg.startswith(name + "="):
                value = arg[len(name) + 1:]
    return value


def download(name, config):
    """Fetches `<url>/<compressed file>` from each file server in turn; the first whose sha512 matches wins."""
    entry = config.get("executables", {}).get(name)
    if not entry:
        return None
    target = os.path.join(HERE, name)
    for base in config.get("urls", []):
        url = base.rstrip("/") + "/" + entry["file"]
        part = target + ".part"
        try:
            # The server's identity is not what protects this file: its sha512, from pilot.tar, is.
            with urlopen(url, timeout=60, context=ssl._create_unverified_context()) as reply, open(part, "wb") as out:
                shutil.copyfileobj(reply, out, 1 << 20)
            digest = hashlib.sha512()
            with open(part, "rb") as packed:
                for chunk in iter(lambda: packed.read(1 << 20), b""):
                    digest.update(chunk)
            if digest.hexdigest() != entry["sha512"]:
                say("%s: checksum mismatch (expected sha512 %s..., got %s...), not used" % (url, entry["sha512"][:16], digest.hexdigest()[:16]))
                continue
            with gzip.open(part, "rb") as packed, open(target, "wb") as out:
                shutil.copyfileobj(packed, out, 1 << 20)
            os.chmod(target, 0o755)
            return target
        except (OSError, ValueError) as error:
            say("%s: %s" % (url, error))
        finally:
            if os.path.exists(part):
                os.unlink(part)
    return None


def main():
    machine = platform.machine().lower()
    if machine not in ARCHITECTURES:
        say("no pilot executable for architecture %r (x86_64 and aarch64 are built)" % machine)
        return 40
    name = "pilot-linux-" + ARCHITECTURES[machine]
    project = (option(["-l", "--project"]) or "").lower() + "dirac"
    candidates = [os.path.join(HERE, name)]
    for location in (option(["--CVMFS_locations"]) or "").split(","):
        location = location.strip()
        location = location[len("file:"):] if location.startswith("file:") else location
        if location:
            candidates.append(os.path.join(location, project, "pilot", name))
    found = next((c for c in candidates if os.path.isfile(c) and os.access(c, os.X_OK)), None)
    if found is None:
        say("%s not beside this script nor under the CVMFS locations; downloading it" % name)
        found = download(name, CONFIG)
    if found is None:
        say("%s: not found (looked in %s) and no file server gave it" % (name, ", ".join(candidates)))
        return 23
    say("running %s" % found)
    os.execv(found, [found, "run"] + sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
