#!/usr/bin/env python3
"""Writes unibus's deployable image: an OCI image layout as one tar (see deploy/BUILD).

    make_image.py --out unibus-image.tar --bin PATH... --file DEST=PATH...

One layer holds the binaries (in /usr/bin), every shared library they need according to `ldd`
(at the paths the dynamic loader looks them up, the loader included), so the image needs no base
image, and each --file at DEST (configs, systemd units). Deterministic: fixed mtimes, owners and
modes, sorted entries, gzip without a timestamp; the same inputs give the same digests.

The tar also carries a docker-archive `manifest.json` next to `index.json`, so both
`podman load` / `skopeo copy oci-archive:` and `docker load` take it.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile

MTIME = 0
IMAGE_NAME = "unibus:latest"
# The unprivileged user the processes run as (also in the image's /etc/passwd).
UID = 65532
MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
MEDIA_INDEX = "application/vnd.oci.image.index.v1+json"


def shared_libraries(binary):
    """Absolute paths of the libraries `binary` loads (ldd), the dynamic loader included."""
    out = subprocess.run(["ldd", binary], check=True, capture_output=True, text=True).stdout
    libs = []
    for line in out.splitlines():
        line = line.strip()
        m = re.match(r"^\S+ => (/\S+) \(0x[0-9a-f]+\)$", line)
        if m:
            libs.append(m.group(1))
            continue
        m = re.match(r"^(/\S+) \(0x[0-9a-f]+\)$", line)  # the loader
        if m:
            libs.append(m.group(1))
            continue
        if "not found" in line:
            sys.exit(f"make_image: {binary}: {line}")
    return libs


def tar_info(name, size=0, mode=0o644, kind=tarfile.REGTYPE):
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = mode
    info.type = kind
    info.mtime = MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def build_tar(entries):
    """A deterministic tar of entries {name: (bytes, mode)}, with every parent directory."""
    dirs = set()
    for name in entries:
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]))
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name in sorted(dirs | set(entries)):
            if name in dirs:
                tar.addfile(tar_info(name + "/", mode=0o755, kind=tarfile.DIRTYPE))
            else:
                data, mode = entries[name]
                tar.addfile(tar_info(name, len(data), mode), io.BytesIO(data))
    return buf.getvalue()


def gzip_bytes(data):
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", fileobj=buf, mode="wb", compresslevel=6, mtime=MTIME) as gz:
        gz.write(data)
    return buf.getvalue()


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical_json(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def read(path):
    with open(path, "rb") as f:
        return f.read()


def layer_entries(binaries, files):
    entries = {}
    for binary in binaries:
        entries["usr/bin/" + os.path.basename(binary)] = (read(binary), 0o755)
        for lib in shared_libraries(binary):
            entries[lib.lstrip("/")] = (read(os.path.realpath(lib)), 0o755)
    for dest, path in files:
        entries[dest.lstrip("/")] = (read(path), 0o644)
    entries["etc/passwd"] = (f"root:x:0:0:root:/root:/sbin/nologin\n"
                             f"unibus:x:{UID}:{UID}:unibus:/var/lib/unibus:/sbin/nologin\n"
                             .encode(), 0o644)
    entries["etc/group"] = (f"root:x:0:\nunibus:x:{UID}:\n".encode(), 0o644)
    entries["etc/nsswitch.conf"] = (b"hosts: files dns\n", 0o644)
    return entries


def image_config(diff_id):
    return {
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "User": f"{UID}:{UID}",
            "Env": ["PATH=/usr/bin:/bin"],
            # No entrypoint: name the binary, e.g. `podman run unibus unibusd serve ...`.
            "Cmd": ["unibusd", "help"],
            "WorkingDir": "/var/lib/unibus",
            "Labels": {"org.opencontainers.image.title": "unibus"},
        },
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created_by": "deploy/make_image.py (unibusd, unibus-authd, unibus, "
                                   "their shared libraries, configs, systemd units)"}],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--bin", action="append", default=[])
    parser.add_argument("--file", action="append", default=[], help="DEST=PATH")
    args = parser.parse_args()
    files = [tuple(f.split("=", 1)) for f in args.file]

    layer_tar = build_tar(layer_entries(args.bin, files))
    layer = gzip_bytes(layer_tar)
    config = canonical_json(image_config(digest(layer_tar)))
    manifest = canonical_json({
        "schemaVersion": 2,
        "mediaType": MEDIA_MANIFEST,
        "config": {"mediaType": MEDIA_CONFIG, "digest": digest(config), "size": len(config)},
        "layers": [{"mediaType": MEDIA_LAYER, "digest": digest(layer), "size": len(layer)}],
    })
    index = canonical_json({
        "schemaVersion": 2,
        "mediaType": MEDIA_INDEX,
        "manifests": [{
            "mediaType": MEDIA_MANIFEST, "digest": digest(manifest), "size": len(manifest),
            "annotations": {"org.opencontainers.image.ref.name": "latest",
                            "io.containerd.image.name": IMAGE_NAME},
        }],
    })

    def blob(data):
        return "blobs/sha256/" + hashlib.sha256(data).hexdigest()

    docker_manifest = canonical_json([{
        "Config": blob(config), "RepoTags": [IMAGE_NAME], "Layers": [blob(layer)],
    }])
    outer = {
        "oci-layout": (canonical_json({"imageLayoutVersion": "1.0.0"}), 0o644),
        "index.json": (index, 0o644),
        "manifest.json": (docker_manifest, 0o644),
        blob(layer): (layer, 0o644),
        blob(config): (config, 0o644),
        blob(manifest): (manifest, 0o644),
    }
    with open(args.out, "wb") as f:
        f.write(build_tar(outer))


if __name__ == "__main__":
    main()
