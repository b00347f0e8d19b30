"""Shared plumbing for the interop client scripts: one JSON request on stdin, one JSON answer on stdout.

Every script takes `<bootstrap> <command>`; bytes travel as base64 so that the TypeScript side can
compare exactly what it sent with what came back. A failure prints {"error": "..."} and exits 1.
"""

import base64
import json
import sys
import traceback


def b64(data):
    """bytes -> base64 text, keeping None (a null key, value or header value)."""
    if data is None:
        return None
    if isinstance(data, str):
        data = data.encode("utf-8")
    return base64.b64encode(data).decode("ascii")


def unb64(text):
    return None if text is None else base64.b64decode(text)


def main(commands):
    if len(sys.argv) != 3 or sys.argv[2] not in commands:
        print("usage: %s <bootstrap> <%s>" % (sys.argv[0], "|".join(sorted(commands))), file=sys.stderr)
        sys.exit(2)
    bootstrap, command = sys.argv[1], sys.argv[2]
    raw = sys.stdin.read()
    request = json.loads(raw) if raw.strip() else {}
    try:
        answer = commands[command](bootstrap, request)
    except Exception as error:  # the test prints the whole story
        json.dump({"error": "%s: %s" % (type(error).__name__, error), "trace": traceback.format_exc()}, sys.stdout)
        sys.stdout.write("\n")
        sys.exit(1)
    json.dump(answer, sys.stdout)
    sys.stdout.write("\n")
