#!/usr/bin/env bash
# scripts/librdkafka.sh — owns a modern librdkafka for the interop tests: confluent-kafka-python from PyPI in a venv, whose wheel bundles a self-contained librdkafka that Debian's kcat can also run on.
#
# Usage:
#   scripts/librdkafka.sh install     # create the venv in the cache (no-op when present)
#   scripts/librdkafka.sh home        # print the install dir
#
# Environment:
#   SAMSA_CACHE_DIR                 cache root (default $HOME/.cache/samsa); the venv lives in
#                                   $SAMSA_CACHE_DIR/confluent-kafka-<version>
#   SAMSA_CONFLUENT_KAFKA_VERSION   confluent-kafka version from PyPI (default 2.16.1, bundling librdkafka 2.16.0)
#   SAMSA_PYTHON                    the interpreter the venv is made from (default python3 on PATH)
#
# Why: Debian's librdkafka 2.0.2 (kcat, python3-confluent-kafka) repeats the client nonce in SCRAM's
# client-final message (fixed in librdkafka 2.6.1), which Kafka 4 and Samsa refuse, so SCRAM with
# librdkafka is only testable on a newer build. The install dir holds:
#   bin/python            a Python with confluent_kafka importable
#   lib/librdkafka.so.1   a symlink to the wheel's librdkafka: `LD_LIBRARY_PATH=<dir>/lib kcat ...`
#   .installed            the version, written last
# It is built in a temporary directory next to it and renamed into place, so a half-done install is
# never taken for a finished one. The venv was moved after creation: run pip as `bin/python -m pip`
# (bin/pip's shebang names the temporary directory).
set -euo pipefail

CK_VERSION="${SAMSA_CONFLUENT_KAFKA_VERSION:-2.16.1}"
CACHE_ROOT="${SAMSA_CACHE_DIR:-$HOME/.cache/samsa}"
CK_HOME="$CACHE_ROOT/confluent-kafka-$CK_VERSION"
PYTHON="${SAMSA_PYTHON:-python3}"

die() {
  echo "librdkafka.sh: $*" >&2
  exit 1
}

cmd_install() {
  if [[ -f "$CK_HOME/.installed" ]]; then
    return 0
  fi
  command -v "$PYTHON" >/dev/null || die "$PYTHON not found (a Python 3 with venv and pip is needed)"
  mkdir -p "$CACHE_ROOT"
  local work
  work="$(mktemp -d "$CACHE_ROOT/.install-confluent-kafka-XXXXXX")"
  # shellcheck disable=SC2064 # expand $work now
  trap "rm -rf '$work'" EXIT
  if ! "$PYTHON" -m venv "$work/venv" >"$work/venv.log" 2>&1; then
    cat "$work/venv.log" >&2
    die "'$PYTHON -m venv' failed (on Debian: apt-get install python3-venv)"
  fi
  echo "librdkafka.sh: installing confluent-kafka $CK_VERSION from PyPI ..." >&2
  # A wheel only: an sdist would build against the system's librdkafka and bundle nothing.
  if ! "$work/venv/bin/python" -m pip install --disable-pip-version-check --no-input -q \
    --only-binary confluent-kafka "confluent-kafka==$CK_VERSION" >"$work/pip.log" 2>&1; then
    tail -n 40 "$work/pip.log" >&2
    die "pip failed to install confluent-kafka==$CK_VERSION (a binary wheel for this platform is needed)"
  fi
  local site libs rdkafka
  site="$("$work/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  libs="$site/confluent_kafka.libs"
  rdkafka="$(find "$libs" -maxdepth 1 -name 'librdkafka*.so*' 2>/dev/null | head -n 1)"
  [[ -n "$rdkafka" ]] || die "no bundled librdkafka in $libs (not a manylinux wheel?)"
  # Relative, so it survives the rename below.
  ln -s "${rdkafka#"$work/venv/lib/"}" "$work/venv/lib/librdkafka.so.1"
  [[ -e "$work/venv/lib/librdkafka.so.1" ]] || die "the librdkafka symlink does not resolve"
  local check='import confluent_kafka as c; print(c.version() + "/" + c.libversion()[0])' versions
  versions="$("$work/venv/bin/python" -c "$check")" || die "the new venv does not import confluent_kafka"
  echo "$CK_VERSION" >"$work/venv/.installed"
  rm -rf "$CK_HOME"
  mv -T "$work/venv" "$CK_HOME"
  rm -rf "$work"
  trap - EXIT
  if ! "$CK_HOME/bin/python" -c "$check" >/dev/null; then
    rm -rf "$CK_HOME"
    die "the venv does not work after moving it to $CK_HOME"
  fi
  echo "librdkafka.sh: installed confluent-kafka/librdkafka $versions in $CK_HOME" >&2
}

main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    install) cmd_install ;;
    home) echo "$CK_HOME" ;;
    *)
      sed -n '4,6p' "$0" >&2
      exit 2
      ;;
  esac
}

main "$@"
