#!/bin/sh
# Add osquery Event Inspector to this user's application menu: a .desktop entry that starts the
# bundle this script sits in, and the app icon. Undo with: sh install-desktop-entry.sh --remove
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
entry="$data/applications/osquery-inspector.desktop"
icons="$data/icons/hicolor"

if [ "${1:-}" = "--remove" ]; then
    rm -f "$entry" "$icons"/*/apps/osquery-inspector.png "$icons/scalable/apps/osquery-inspector.svg"
    echo "removed $entry and the icons"
    exit 0
fi

mkdir -p "$data/applications"
# Exec and TryExec name the executable of this bundle (quoted: the folder may hold spaces).
sed -e "s|^Exec=osquery-inspector|Exec=\"$here/osquery-inspector\"|" \
    -e "s|^TryExec=osquery-inspector|TryExec=$here/osquery-inspector|" \
    "$here/osquery-inspector.desktop" > "$entry"
for png in "$here"/_internal/resources/icons/osquery-inspector-*.png; do
    size=${png##*-}
    size=${size%.png}
    mkdir -p "$icons/${size}x${size}/apps"
    cp "$png" "$icons/${size}x${size}/apps/osquery-inspector.png"
done
mkdir -p "$icons/scalable/apps"
cp "$here/_internal/resources/icons/osquery-inspector.svg" "$icons/scalable/apps/"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$data/applications" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$icons" || true
echo "installed $entry (starts $here/osquery-inspector)"
