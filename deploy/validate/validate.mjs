// Validates Kubernetes objects in YAML files against the official schemas packaged by kubernetes-models (Kubernetes
// OpenAPI) and @kubernetes-models/knative (Knative CRDs): `node validate.mjs FILE...`. One line per object:
// "ok <file> <apiVersion> <kind> <name>", "invalid <file> ... : <errors>" or "no-schema <file> ..." (an API group
// these packages do not cover, e.g. KServe). Exit status 1 when any object is invalid, 2 on unreadable input.
import { readFileSync } from "node:fs";
import yaml from "js-yaml";

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
