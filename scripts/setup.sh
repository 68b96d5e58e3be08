#!/usr/bin/env bash
# Installs the Debian packages listed in scripts/packages.txt that are missing.
# Quiet and quick when everything is present; uses sudo when not root.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
list="$here/packages.txt"

die() { echo "setup.sh: $*" >&2; exit 1; }

[[ -r $list ]] || die "cannot read $list"
command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query not found: this script supports Debian and its derivatives only"

# A line "name" wants the package; "name cmd=tool" is satisfied by the
# command tool from anywhere (Node.js from NodeSource brings its own npm,
# and Debian's npm package would conflict with it).
packages=()
while IFS= read -r line; do
    line=${line%%#*}
    name='' extra=''
    read -r name extra _ <<<"$line" || true
    [[ -n ${name:-} ]] || continue
    if [[ $extra == cmd=* ]] && command -v "${extra#cmd=}" >/dev/null 2>&1; then
        continue
    fi
    packages+=("$name")
done <"$list"

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

if ((EUID == 0)); then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    die "missing packages (${missing[*]}) and not root, and sudo is not installed: run this as root"
fi

echo "setup.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
    || die "apt-get update failed"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || die "apt-get install ${missing[*]} failed"

for p in "${missing[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || die "$p is still not installed"
done
echo "setup.sh: done" >&2
