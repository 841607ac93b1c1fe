#!/bin/sh
# Installs llmsim's build and test dependencies from Debian 12 (bookworm) packages.
# Run as root, or as a user with sudo.
set -eu
PACKAGES="build-essential cmake pkg-config git
  libsimgrid-dev libboost-graph-dev libyaml-cpp-dev libprotobuf-dev protobuf-compiler
  catch2 nlohmann-json3-dev libcli11-dev libfmt-dev libbenchmark-dev
  python3 python3-yaml python3-matplotlib
  libopenblas-dev libvulkan-dev glslc mesa-vulkan-drivers
  libeigen3-dev libssl-dev"
# Reliability (issue #10): clang and its runtimes (libFuzzer, ASan, UBSan) for scripts/fuzz.sh.
PACKAGES="$PACKAGES clang-14 libclang-rt-14-dev"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! dpkg -s $PACKAGES >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -qq --no-install-recommends $PACKAGES
fi
