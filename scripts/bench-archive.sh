#!/usr/bin/env bash
# bench-archive.sh: venvcache's archive restore (and pack) against what a user
# would run instead, in one run, on one tree. Prints medians (min-max) and the
# ratios of issue 5: restore <= 1.3x the larger floor, <= 0.5x actions/cache's
# own restore; pack no slower than tar | zstd -T0 at the same level.
#
#   scripts/bench-archive.sh             the default tree, 5 runs each
#   VC_BENCH_RUNS=9 scripts/bench-archive.sh
#
# Settings (environment):
#   VC_BENCH_SRC     tree to pack (default: python3's site-packages, which here
#                    is the heavy fixture: 460 MB, 46k files)
#   VC_BENCH_STDLIB  1: add python3's standard library (without its tests)
#   VC_BENCH_DIR     where the copied tree and archives are kept between runs
#                    (default /var/tmp/venvcache-bench-archive)
#   VC_BENCH_SHM     the RAM disk restores go to (default /dev/shm)
#   VC_BENCH_LEVEL   zstd level (default 3, venvcache's default)
#   VC_BENCH_RUNS    runs of each command (default 5)
#   VC_BENCH_BUILD   build directory (default build-bench, Release)
# Caches are hot: every input is read once before timing. Nothing here is a
# test; nothing fails on a slow figure.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${VC_BENCH_RUNS:-5}
work=${VC_BENCH_DIR:-/var/tmp/venvcache-bench-archive}
shm=${VC_BENCH_SHM:-/dev/shm}
level=${VC_BENCH_LEVEL:-3}
build=${VC_BENCH_BUILD:-build-bench}
py=$(command -v python3)
src=${VC_BENCH_SRC:-$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')}
stdlib=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')

for t in tar bsdtar zstd unzstd; do
    command -v "$t" >/dev/null || { echo "bench-archive: needs $t" >&2; exit 1; }
done

echo "== build ($build)"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DVENVCACHE_TESTS=ON >/dev/null
cmake --build "$build" -j2 --target vc-archive >/dev/null
vca=$build/tests/vc-archive

# The tree: a copy, so that what is timed is not a moving target.
mkdir -p "$work"
stamp="$src${VC_BENCH_STDLIB:+ +stdlib}"
if [ ! -d "$work/tree" ] || [ "$(cat "$work/tree.src" 2>/dev/null)" != "$stamp" ]; then
    echo "== copying $stamp to $work/tree"
    rm -rf "$work/tree"
    mkdir -p "$work/tree"
    cp -a "$src" "$work/tree/site-packages"
    if [ -n "${VC_BENCH_STDLIB:-}" ]; then
        mkdir -p "$work/tree/stdlib"
        (cd "$stdlib" && tar --exclude=./site-packages --exclude=./test -cf - .) |
            tar -xf - -C "$work/tree/stdlib"
    fi
    echo "$stamp" > "$work/tree.src"
fi
files=$(find "$work/tree" | wc -l)
bytes=$(du -sb "$work/tree" | cut -f1)

tmp=$(mktemp -d "$shm/vc-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

now() { date +%s%N; }

# time_cmd NAME PREP CMD: runs PREP (untimed) then CMD, $runs times; records
# the times in ms in $times_NAME.
declare -A med lo hi
time_cmd() {
    local name=$1 prep=$2 cmd=$3 i t0 t1 all=()
    for ((i = 0; i < runs; i++)); do
        eval "$prep"
        t0=$(now)
        eval "$cmd"
        t1=$(now)
        all+=($(((t1 - t0) / 1000000)))
    done
    mapfile -t all < <(printf '%s\n' "${all[@]}" | sort -n)
    med[$name]=${all[$((runs / 2))]}
    lo[$name]=${all[0]}
    hi[$name]=${all[$((runs - 1))]}
    printf '  %-34s %6d ms  (%d-%d)\n' "$name" "${med[$name]}" "${lo[$name]}" "${hi[$name]}"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

echo "== tree: $files entries, $((bytes / 1048576)) MiB; $(nproc) CPUs; level $level; $runs runs"
# Warm the page cache with the tree.
tar -cf - -C "$work" tree >/dev/null

echo "== pack"
arc=$work/a.tzst
ref=$work/ref.tzst
raw=$work/ref.tar
time_cmd "venvcache pack" "rm -f $arc" "$vca pack $work/tree $arc -l $level 2>/dev/null"
time_cmd "tar | zstd -T0 (same level)" "rm -f $ref" \
    "tar -cf - -C $work/tree . | zstd -q -$level -T0 -o $ref"
asize=$(stat -c %s "$arc")
rsize=$(stat -c %s "$ref")
echo "  archive sizes: venvcache $((asize / 1048576)) MiB, tar|zstd $((rsize / 1048576)) MiB ($(ratio "$asize" "$rsize")x)"
unzstd -q -c "$arc" > "$raw"
# Hot caches for what the restores read.
cat "$arc" "$raw" > /dev/null

echo "== restore into $shm"
dest=$tmp/dest
fresh="rm -rf $dest; mkdir $dest"
time_cmd "venvcache (frame index)" "$fresh" "$vca extract $arc $dest -i $arc.idx"
time_cmd "venvcache (streamed)" "$fresh" "$vca extract $arc $dest"
time_cmd "actions/cache: tar + unzstd" "$fresh" \
    "tar -xf $arc -C $dest --use-compress-program unzstd"
time_cmd "bsdtar -xf" "$fresh" "bsdtar -xf $arc -C $dest"
time_cmd "floor: zstd -dc > /dev/null" "" "zstd -q -dc $arc > /dev/null"
time_cmd "floor: GNU tar -xf (uncompressed)" "$fresh" "tar -xf $raw -C $dest"
rm -rf "$dest"
mkdir "$dest"
rss=$( { /usr/bin/time -f %M "$vca" extract "$arc" "$dest" -i "$arc.idx"; } 2>&1 | tail -1)
rm -rf "$dest"

floor=${med["floor: zstd -dc > /dev/null"]}
f2=${med["floor: GNU tar -xf (uncompressed)"]}
[ "$f2" -gt "$floor" ] && floor=$f2
vc=${med["venvcache (frame index)"]}
echo "== ratios (medians)"
echo "  restore / larger floor          $(ratio "$vc" "$floor")   (target <= 1.3)"
echo "  restore / actions/cache restore $(ratio "$vc" "${med["actions/cache: tar + unzstd"]}")   (target <= 0.5)"
echo "  restore / bsdtar                $(ratio "$vc" "${med["bsdtar -xf"]}")"
echo "  streamed / indexed restore      $(ratio "${med["venvcache (streamed)"]}" "$vc")"
echo "  pack / tar | zstd -T0           $(ratio "${med["venvcache pack"]}" "${med["tar | zstd -T0 (same level)"]}")   (target <= 1.0)"
echo "  peak RSS of a restore           $((rss / 1024)) MiB"

# libarchive as the restore's tar parser (issue 19): its CPU time alone,
# measured inside vc-archive (the decoded tar is read into memory first,
# untimed), against the CPU time of the restore's calling thread, which
# parses and writes while one thread decodes (on 2 CPUs): that thread bounds
# the restore, so a parser's extra time adds to it. CPU time of one thread
# moves little with other load; the wall times above do.
echo "== libarchive (CPU time of one thread, measured inside the process)"
# cpu_ms NAME CMD: median of the "CPU N ms" CMD prints, $runs runs.
cpu_ms() {
    local name=$1 cmd=$2 i all=()
    for ((i = 0; i < runs; i++)); do
        all+=($(eval "$cmd" | sed -n 's/.*CPU \([0-9.]*\) ms.*/\1/p'))
    done
    mapfile -t all < <(printf '%s\n' "${all[@]}" | sort -n)
    med[$name]=${all[$((runs / 2))]%.*}
    printf '  %-34s %6s ms  (%s-%s)\n' "$name" "${all[$((runs / 2))]}" "${all[0]}" "${all[$((runs - 1))]}"
}
cpu_ms "restore: calling thread" "rm -rf $dest; mkdir $dest; $vca extract $arc $dest -i $arc.idx -v"
rm -rf "$dest"
cpu_ms "libarchive parse (4 MiB blocks)" "$vca libarchive $raw"
echo "  libarchive parse / calling thread  $(ratio "${med["libarchive parse (4 MiB blocks)"]}" "${med["restore: calling thread"]}")   (minus the own parser's share, <= 0.10 to replace it)"
start=$(now)
$vca oracle "$arc" >/dev/null
echo "  verify --deep reading (oracle)   $((($(now) - start) / 1000000)) ms wall"
