#!/usr/bin/python3
"""Regenerates weights/upstream.json: every upstream data file (checkpoints, masks, correlations, priors) of
enigma-brain/dualneuron at a commit, with its raw URL, git blob sha1, and size + sha256 for the files at hand.

Usage: tools/make_upstream_manifest.py <git dir of an enigma-brain/dualneuron clone> [<folder laid out like
../shared/upstream/dualneuron>]. Files found in the second folder are hashed and checked against the git blob sha1.
"""
import hashlib, json, os, subprocess, sys

repo = sys.argv[1]
shared = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), '..', '..', 'shared', 'upstream', 'dualneuron')
git = lambda *a: subprocess.check_output(['git', '--git-dir', repo, *a]).decode()
commit = git('rev-parse', 'HEAD').strip()
local_map = {'dualneuron/synthesis/priors/': 'priors/', 'dualneuron/twins/': ''}
files = []
for line in git('ls-tree', '-r', '-l', 'HEAD').splitlines():
    meta, path = line.split('\t')
    _, _, sha1, size = meta.split()
    if not (path.endswith('.pth.tar') or path.endswith('.npy')):
        continue
    entry = {'path': path, 'gitBlobSha1': sha1, 'url': f'https://raw.githubusercontent.com/enigma-brain/dualneuron/{commit}/{path}'}
    if size.isdigit():
        entry['size'] = int(size)
    rel = next((v + path[len(k):] for k, v in local_map.items() if path.startswith(k)), None)
    local = os.path.join(shared, rel) if rel else None
    if local and os.path.exists(local):
        b = open(local, 'rb').read()
        assert hashlib.sha1(b'blob %d\0' % len(b) + b).hexdigest() == sha1, f'{local} differs from {path}@{commit}'
        entry['sha256'] = hashlib.sha256(b).hexdigest()
        entry['size'] = len(b)
    files.append(entry)
out = {'repository': 'https://github.com/enigma-brain/dualneuron', 'commit': commit,
       'licence': 'MIT (c) Nikos Karantzas; Franke, Karantzas et al., bioRxiv 2025, doi:10.1101/2025.07.16.665209',
       'note': 'sha256 and size are given for every file that was at hand to hash; every file has its git blob sha1, which is checked after download when no sha256 is known.',
       'files': files}
dst = os.path.join(os.path.dirname(__file__), '..', 'weights', 'upstream.json')
json.dump(out, open(dst, 'w'), indent=1)
print(f'{len(files)} files, {sum("sha256" in f for f in files)} with sha256 -> {os.path.normpath(dst)}')
