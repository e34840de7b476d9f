// Validates Kubernetes objects offline against the API schemas that the npm package kubernetes-models ships.
// Input: a JSON array of objects, in the file named by the first argument (or on stdin).
// Output: one line per problem, "Kind/name: problem"; exit code 1 if there is any.
// kubernetes-models checks types, enums and required fields but lets unknown fields through, which the API server
// would reject (or, worse, drop silently). So every object is also walked through a Proxy while it validates: the
// compiled schema reads each property it knows by name, and enumerates only the objects whose keys are free (labels,
// ConfigMap data); a key of a fixed-shape object that the schema never read is a field the API does not have.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const roots = (process.env.NODE_PATH ?? "").split(":").filter(Boolean);
const root = roots.map(r => join(r, "kubernetes-models")).find(existsSync);
if (!root) {
  console.log("kubernetes-models not found under NODE_PATH (npm install --global kubernetes-models@5.1.0; NODE_PATH=$(npm root -g))");
  process.exit(2);
}

const objects = JSON.parse(readFileSync(process.argv[2] ?? 0, "utf8"));
const problems = [];

for (const object of objects) {
  const label = `${object.kind}/${object.metadata?.name ?? "?"}`;
  const modulePath = join(root, ...String(object.apiVersion).split("/"), "index.js");
  if (!existsSync(modulePath)) {
    problems.push(`${label}: no schema for apiVersion ${object.apiVersion}`);
    continue;
  }
  const Model = (await import(pathToFileURL(modulePath).href))[object.kind];
  if (typeof Model !== "function") {
    problems.push(`${label}: no schema for kind ${object.kind} in ${object.apiVersion}`);
    continue;
  }

  const model = new Model(object);
  const seen = new Map();
  const watched = watch(model, "", seen);
  try {
    watched.validate();
  } catch (error) {
    for (const detail of describe(error))
      problems.push(`${label}: ${detail}`);
    continue;
  }
  for (const [path, { target, read, enumerated }] of seen) {
    if (enumerated || Array.isArray(target))
      continue;
    for (const key of Object.keys(target))
      if (!read.has(key))
        problems.push(`${label}: unknown field ${path}/${key}`);
  }
}

for (const problem of problems)
  console.log(problem);
process.exit(problems.length === 0 ? 0 : 1);

/** A Proxy that records, per object path, which keys were read and whether the keys were enumerated. */
function watch(target, path, seen) {
  const record = { target, read: new Set(), enumerated: false };
  seen.set(path, record);
  return new Proxy(target, {
    get(object, key, receiver) {
      const value = Reflect.get(object, key, receiver);
      if (typeof key !== "string" || typeof value === "function")
        return value;
      record.read.add(key);
      return value !== null && typeof value === "object" ? watch(value, `${path}/${key}`, seen) : value;
    },
    ownKeys(object) {
      record.enumerated = true;
      return Reflect.ownKeys(object);
    },
  });
}

function describe(error) {
  const details = Array.isArray(error?.errors) && error.errors.length > 0
    ? error.errors.map(e => `${e.instancePath || "/"} ${e.message ?? e.keyword} ${JSON.stringify(e.params ?? {})}`)
    : [String(error?.message ?? error)];
  return details;
}
