// Validates Kubernetes objects in YAML files against the official schemas packaged by kubernetes-models (Kubernetes
// OpenAPI) and @kubernetes-models/knative (Knative CRDs), and KServe's InferenceService against the openAPIV3Schema of
// KServe's own CRD (schemas/, extracted by schemas/extract-kserve-schema.py; KServe publishes no npm package):
// `node validate.mjs FILE...`. One line per object: "ok <file> <apiVersion> <kind> <name>",
// "invalid <file> ... : <errors>" or "no-schema <file> ..." (an API group none of these covers). Exit status 1 when
// any object is invalid, 2 on unreadable input.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import yaml from "js-yaml";
import Ajv from "ajv";
import addFormats from "ajv-formats";

// A CRD schema is OpenAPI v3 with Kubernetes extensions: the x-kubernetes-* keywords are annotations for the API
// server (ajv in non-strict mode ignores them), and int32/int64/byte/quantity formats are checked by type only.
const crdAjv = new Ajv({ strict: false, allErrors: true });
addFormats(crdAjv);
for (const f of ["int32", "int64", "float", "double", "byte", "quantity", "int-or-string"]) crdAjv.addFormat(f, true);
const crdSchemas = {
  "serving.kserve.io/v1beta1/InferenceService": "schemas/serving.kserve.io_v1beta1_InferenceService.json.gz",
};

/** A validator class with the kubernetes-models shape (new Model(doc).validate() throws with .errors) for a CRD. */
function crdModel(apiVersion, kind) {
  const file = crdSchemas[`${apiVersion}/${kind}`];
  if (!file) return undefined;
  const check = crdAjv.compile(JSON.parse(gunzipSync(readFileSync(new URL(file, import.meta.url))).toString("utf8")));
  return class {
    constructor(doc) { this.doc = doc; }
    validate() {
      if (!check(this.doc)) throw Object.assign(new Error("schema"), { errors: check.errors });
    }
  };
}

function modulePath(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "") return `kubernetes-models/${version}/${kind}`;
  if (group.endsWith("knative.dev")) return `@kubernetes-models/knative/${group}/${version}/${kind}`;
  if (group.endsWith(".k8s.io") || !group.includes(".")) return `kubernetes-models/${group}/${version}/${kind}`;
  return null;
}

let invalid = 0;
for (const file of process.argv.slice(2)) {
  let docs;
  try {
    docs = yaml.loadAll(readFileSync(file, "utf8"));
  } catch (e) {
    console.log(`unreadable ${file}: ${e.message}`);
    process.exit(2);
  }
  for (const doc of docs) {
    if (!doc || !doc.apiVersion) continue;
    const what = `${file} ${doc.apiVersion} ${doc.kind} ${doc.metadata?.name ?? "?"}`;
    const path = modulePath(doc.apiVersion, doc.kind);
    let Model;
    try {
      Model = path && (await import(path))[doc.kind];
    } catch {
      Model = undefined;
    }
    Model ??= crdModel(doc.apiVersion, doc.kind);
    if (!Model) {
      console.log(`no-schema ${what}`);
      continue;
    }
    try {
      new Model(doc).validate();
      console.log(`ok ${what}`);
    } catch (e) {
      invalid++;
      const details = (e.errors ?? []).map((x) => `${x.instancePath || "/"} ${x.message}${x.params?.additionalProperty ? " (" + x.params.additionalProperty + ")" : ""}`);
      console.log(`invalid ${what}: ${details.length ? details.join("; ") : e.message}`);
    }
  }
}
process.exit(invalid ? 1 : 0);
