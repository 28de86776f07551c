#!/bin/sh
# Builds and runs the RTL smoke testbench for a few geometries.
#   bitstream/rtl/tb/run.sh            all configurations below
#   bitstream/rtl/tb/run.sh 8 2        NumPes=8 QueueDepth=2 only
set -eu
here=$(cd "$(dirname "$0")" && pwd)
rtl=$(dirname "$here")
out=${EIE_TB_OUT:-$here/obj}
sources=$(sed -e '/^#/d' -e '/^$/d' -e "s|^|$rtl/|" "$rtl/files.txt")

run() {
  pes=$1; qd=$2; act=${3:-256}; spm=${4:-1024}; ptr=${5:-1024}; layers=${6:-4}
  dir="$out/p${pes}_q${qd}_a${act}_s${spm}_r${ptr}_l${layers}"
  verilator --cc --exe --build -j 2 -O2 --x-assign unique --x-initial unique \
    -Wall -Wno-fatal --top-module eie_top -I"$rtl" -Mdir "$dir" --output-split 20000 \
    -MAKEFLAGS "OPT_FAST=-O1" \
    -GNumPes="$pes" -GQueueDepth="$qd" -GActEntries="$act" -GSpmatWords="$spm" \
    -GPtrEntries="$ptr" -GMaxLayers="$layers" \
    -CFLAGS "-DNUM_PES=$pes -DQUEUE_DEPTH=$qd -DACT_ENTRIES=$act -DSPMAT_WORDS=$spm -DPTR_ENTRIES=$ptr -DMAX_LAYERS=$layers" \
    $sources "$here/eie_tb.cpp" -o eie_tb >"$dir.log" 2>&1 || { cat "$dir.log"; exit 1; }
  "$dir/eie_tb" "${EIE_TB_SEED:-1}"
}

if [ $# -gt 0 ]; then
  run "$@"
else
  run 4 8
  run 1 8 64 256 128 2
  run 8 1 32 512 256 3
  run 2 3 128 128 64 1
  run 64 8 16 64 256 4
fi
