#!/bin/sh
# tools/gpu/reader_python.sh — the Python the TensorBoard tests' reference reader runs in the GPU kit. pack_suite.sh
# copies this script to python/reader-python in the kit, beside the pure-Python sources of Debian's python3-protobuf
# (google/protobuf) and python3-crcmod (crcmod); run_suite.sh points LRT_TB_PYTHON at it, and EventFileReader
# (tests/LowRankTrainer.Tests/Runs/TensorBoard) runs it in place of /usr/bin/python3.
#
# Why: the device's /usr/bin/python3 (its version is not ours to pick: 3.8 or later) has neither google.protobuf nor
# crcmod, and no network to install them. Both packages run without their C extensions, which are built for one
# Python version and so are not carried:
#   -S     no site-packages: the standard library and the kit's copies only, so that nothing installed there (a
#          google.* namespace, a compiled protobuf of another version) can shadow or mix with the copies;
#   PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION=python
#          protobuf's pure-Python runtime, named rather than left to its fallback (it would pick a compiled one if
#          it found any); crcmod falls back to its pure-Python _crcfunpy by itself.
# Arguments are passed through: reader-python read_events.py FILE.
here="$(cd "$(dirname "$0")" && pwd)"
PYTHONPATH="$here" PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION=python exec /usr/bin/python3 -S "$@"
