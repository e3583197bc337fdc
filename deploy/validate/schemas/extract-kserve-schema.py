#!/usr/bin/env python3
"""Extracts the InferenceService v1beta1 schema from KServe's published CRD for validate.mjs.

Usage: extract-kserve-schema.py KSERVE_CHECKOUT > /dev/null   (writes the .json.gz next to this script)

The schema is the CRD's own openAPIV3Schema (config/crd/full/serving.kserve.io_inferenceservices.yaml), unchanged,
serialised with sorted keys and gzip mtime 0 so that the same CRD gives the same bytes.
"""
import gzip
import json
import pathlib
import sys

import yaml

crd_path = pathlib.Path(sys.argv[1]) / "config/crd/full/serving.kserve.io_inferenceservices.yaml"
crd = yaml.safe_load(crd_path.read_text())
version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1beta1")
schema = json.dumps(version["schema"]["openAPIV3Schema"], separators=(",", ":"), sort_keys=True).encode()
out = pathlib.Path(__file__).with_name("serving.kserve.io_v1beta1_InferenceService.json.gz")
out.write_bytes(gzip.compress(schema, 9, mtime=0))
print(f"{out.name}: {len(schema)} bytes of schema from {crd_path}")
