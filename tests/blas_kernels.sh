#!/usr/bin/env bash
# Run the learning tests and the notebooks under several OpenBLAS kernels (`make test-kernels`).
#
# NumPy's OpenBLAS picks a kernel for the CPU it runs on, and a seeded training follows a
# different path on each (a test that reached 99.6 % on Haswell reached 94 % on SkylakeX).
# OPENBLAS_CORETYPE forces a kernel, so one machine can stand in for the CPUs of others.
# A kernel the CPU cannot run (SkylakeX needs AVX-512) is skipped and said so.
#
# Usage: tests/blas_kernels.sh PYTHON SEEDS KERNELS -- PYTEST-ARGS...
#   e.g. tests/blas_kernels.sh .venv/bin/python 0,1,2 "Haswell SkylakeX Prescott" -- tests/test_learning.py
set -uo pipefail
py=$1 seeds=$2 kernels=$3; shift 3; [ "${1:-}" = "--" ] && shift
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
needs() { case $1 in SkylakeX|Cooperlake|SapphireRapids) echo avx512f;; Haswell|Zen) echo avx2;;
                     Sandybridge) echo avx;; *) echo sse2;; esac; }
kernel_of() {   # the kernel NumPy's OpenBLAS runs on under OPENBLAS_CORETYPE=$1 ("" if not OpenBLAS)
  OPENBLAS_CORETYPE=$1 "$py" -c '
import numpy
from threadpoolctl import threadpool_info
print(*[i.get("architecture", "") for i in threadpool_info()
        if i["internal_api"] == "openblas" and "numpy" in i["filepath"]][:1])' 2>/dev/null
}
if [ -z "$(kernel_of "")" ]; then
  echo "NumPy does not run on OpenBLAS here: its kernels cannot be forced; one run with this BLAS."
  kernels=default
fi
summary=() fail=0
for k in $kernels; do
  if [ "$k" != default ]; then
    need=$(needs "$k")
    if [ -n "$flags" ] && ! grep -qw "$need" <<<"$flags"; then
      summary+=("$k: skipped (this CPU lacks $need; forcing the kernel would crash)"); continue
    fi
  fi
  got=$(kernel_of "${k/#default/}")   # OpenBLAS names some kernels otherwise: Prescott reports "Katmai"
  k_long="$k (OpenBLAS reports ${got:-no OpenBLAS})"
  echo "=== kernel $k_long, seeds $seeds ==="
  start=$(date +%s)
  if [ "$k" = default ]; then env=(); else env=("OPENBLAS_CORETYPE=$k"); fi
  # The seeds go by environment: tests/conftest.py is not loaded when only notebooks run.
  env "${env[@]}" OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 LEARNING_SEEDS="$seeds" \
    "$py" -m pytest -p no:cacheprovider "$@"
  rc=$?
  [ $rc -eq 0 ] || fail=1
  summary+=("$k_long: $([ $rc -eq 0 ] && echo passed || echo "FAILED (exit $rc)") in $(( $(date +%s) - start )) s")
done
echo "=== test-kernels, seeds $seeds ==="
printf '%s\n' "${summary[@]}"
exit $fail
