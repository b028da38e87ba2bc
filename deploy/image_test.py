#!/usr/bin/env python3
"""Validates //deploy:image, the OCI image layout tarball (run by image_test.sh).

- oci-layout and index.json are there; index -> manifest -> config and layer resolve to blobs;
  every blob's sha256 is its name and every descriptor's size is the blob's size;
- the config's diff_id is the sha256 of the uncompressed layer;
- the layer holds the three binaries, the systemd units, the example configs, and every shared
  library the binaries load, resolved inside the layer by the layer's own dynamic loader, which
  then runs each binary's help (so the image needs no base image);
- make_image.py is deterministic: the same inputs give the same bytes.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import unittest

ARGS = None
BINARIES = ["usr/bin/unibusd", "usr/bin/unibus-authd", "usr/bin/unibus"]
LOADER = "lib64/ld-linux-x86-64.so.2"


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class ImageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with tarfile.open(ARGS.image) as tar:
            cls.files = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
        cls.index = json.loads(cls.files["index.json"])
        desc = cls.index["manifests"][0]
        cls.manifest_desc = desc
        cls.manifest = json.loads(cls.blob(desc))
        cls.config = json.loads(cls.blob(cls.manifest["config"]))
        cls.layer_gz = cls.blob(cls.manifest["layers"][0])
        cls.layer_tar = gzip.decompress(cls.layer_gz)
        with tarfile.open(fileobj=io.BytesIO(cls.layer_tar)) as tar:
            cls.layer_members = {m.name.rstrip("/"): m for m in tar.getmembers()}

    @classmethod
    def blob(cls, desc):
        algo, hexdigest = desc["digest"].split(":")
        return cls.files[f"blobs/{algo}/{hexdigest}"]

    def test_layout_files(self):
        self.assertEqual(json.loads(self.files["oci-layout"]), {"imageLayoutVersion": "1.0.0"})
        self.assertEqual(self.index["schemaVersion"], 2)
        self.assertEqual(self.manifest_desc["mediaType"],
                         "application/vnd.oci.image.manifest.v1+json")
        self.assertEqual(self.manifest["config"]["mediaType"],
                         "application/vnd.oci.image.config.v1+json")
        self.assertEqual(self.manifest["layers"][0]["mediaType"],
                         "application/vnd.oci.image.layer.v1.tar+gzip")

    def test_every_blob_matches_its_digest(self):
        blobs = [name for name in self.files if name.startswith("blobs/")]
        self.assertEqual(len(blobs), 3)  # manifest, config, layer
        for name in blobs:
            self.assertEqual(sha256(self.files[name]), "sha256:" + name.split("/")[-1], name)

    def test_descriptor_sizes_match(self):
        for desc in [self.manifest_desc, self.manifest["config"]] + self.manifest["layers"]:
            self.assertEqual(len(self.blob(desc)), desc["size"], desc["digest"])

    def test_config_names_the_uncompressed_layer(self):
        self.assertEqual(self.config["rootfs"]["diff_ids"], [sha256(self.layer_tar)])
        self.assertEqual(self.config["os"], "linux")
        self.assertEqual(self.config["architecture"], "amd64")

    def test_docker_manifest_points_at_the_same_blobs(self):
        docker = json.loads(self.files["manifest.json"])
        cfg = self.manifest["config"]["digest"].split(":")[1]
        layer = self.manifest["layers"][0]["digest"].split(":")[1]
        self.assertEqual(docker[0]["Config"], f"blobs/sha256/{cfg}")
        self.assertEqual(docker[0]["Layers"], [f"blobs/sha256/{layer}"])

    def test_layer_contents(self):
        for name in BINARIES + [
            LOADER,
            "usr/lib/systemd/system/unibus-nats.service",
            "usr/lib/systemd/system/unibusd.service",
            "usr/lib/systemd/system/unibus-authd.service",
            "etc/unibus/examples/nats-single.conf",
            "etc/unibus/examples/nats-cluster-node1.conf",
            "usr/share/doc/unibus/RUNBOOK.md",
            "etc/passwd",
        ]:
            self.assertIn(name, self.layer_members)
        for name in BINARIES:
            self.assertEqual(self.layer_members[name].mode, 0o755)
        names = list(self.layer_members)
        self.assertEqual([m.mtime for m in self.layer_members.values()], [0] * len(names))

    def test_example_cluster_config_is_the_secure_kind(self):
        with tarfile.open(fileobj=io.BytesIO(self.layer_tar)) as tar:
            text = tar.extractfile("etc/unibus/examples/nats-cluster-node1.conf").read().decode()
        for want in ["verify: true", "no_advertise: true", "password:", "CONTROL {",
                     "nats-route://unibus-route:"]:
            self.assertIn(want, text)

    def test_binaries_run_on_the_layers_own_libraries(self):
        with tempfile.TemporaryDirectory() as root:
            with tarfile.open(fileobj=io.BytesIO(self.layer_tar)) as tar:
                tar.extractall(root)
            loader = os.path.join(root, LOADER)
            lib_path = ":".join(os.path.join(root, d) for d in
                                ["lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib64",
                                 "lib", "usr/lib"])
            for name in BINARIES:
                binary = os.path.join(root, name)
                # Where each library resolves: all inside the extracted layer.
                trace = subprocess.run([loader, "--library-path", lib_path, "--list", binary],
                                       check=True, capture_output=True, text=True).stdout
                for line in trace.splitlines():
                    if "=>" in line:
                        path = line.split("=>")[1].split("(")[0].strip()
                        self.assertTrue(path.startswith(root), f"{name}: {line.strip()}")
                run = subprocess.run([loader, "--library-path", lib_path, binary, "help"],
                                     capture_output=True, text=True)
                self.assertEqual(run.returncode, 0, f"{name}: {run.stderr[-500:]}")

    def test_make_image_is_deterministic(self):
        with tempfile.TemporaryDirectory() as tmp:
            outs = []
            for i in range(2):
                out = os.path.join(tmp, f"{i}.tar")
                subprocess.run([sys.executable, ARGS.make_image, "--out", out, "--bin", "/bin/true",
                                "--file", f"etc/x={ARGS.make_image}"], check=True)
                with open(out, "rb") as f:
                    outs.append(f.read())
            self.assertEqual(outs[0], outs[1])


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--image", required=True)
    parser.add_argument("--make_image", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
