#!/bin/bash
# Builds, on this machine, what tools/device/gpu_check.sh needs on a lent GPU machine (which has no Node and no
# network), in two folders git ignores through .git/info/exclude: .gl/ (Vulkan loader .debs, as the device
# README says) and .dev/ (Node, node_modules, weights, upstream data, natural responses, a clean built worktree).
# Usage: bash tools/device/prepare.sh <acceptance out dir with natural_*.npy> [weights home] [upstream dir]
# Then, with the device tool: run `bash .dev/wt/tools/device/gpu_check.sh` carrying [".gl", ".dev"].
set -euo pipefail
cd "$(dirname "$0")/../.."
acc=${1:?usage: prepare.sh <acceptance dir with natural_ensemble.npy and natural_member5.npy> [home] [upstream]}
home=${2:-${DUALNEURON_HOME:-$HOME/.dualneuron}}
up=${3:-../shared/upstream/dualneuron}
grep -qx '/.gl/' .git/info/exclude 2>/dev/null || printf '/.gl/\n' >> .git/info/exclude
grep -qx '/.dev/' .git/info/exclude 2>/dev/null || printf '/.dev/\n' >> .git/info/exclude
mkdir -p .gl .dev/acc /tmp/amd64/partial
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
apt-get $o update >/dev/null
(cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null 2>&1)
[ -f .dev/node.xz ] || xz -T2 -6 -c "$(command -v node)" > .dev/node.xz
tar -cf - --exclude=node_modules/typescript --exclude=node_modules/@types --exclude='node_modules/webgpu/dist/darwin-*' \
  --exclude='node_modules/webgpu/dist/win32-*' --exclude='node_modules/webgpu/dist/linux-arm64' node_modules | xz -T2 -3 > .dev/nm.tar.xz
rm -rf .dev/home .dev/upstream && cp -r "$home" .dev/home && cp -rL "$up" .dev/upstream
cp "$acc"/natural_ensemble.npy "$acc"/natural_member5.npy .dev/acc/
git worktree remove --force .dev/wt 2>/dev/null || true
git worktree add -f --detach .dev/wt HEAD -q
(cd .dev/wt && ln -s ../../node_modules node_modules && npm run build --silent && rm node_modules)
du -sh .gl .dev | tr '\n' ' '; echo "(the call carries at most 64 MiB with the working tree)"
