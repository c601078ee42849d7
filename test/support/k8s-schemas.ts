// Upstream schemas for Kubernetes objects, found generically by apiVersion/kind:
// built-in kinds from kubernetes-models, custom resources from @kubernetes-models/*
// and, where the workplace has them, the upstream CRDs' OpenAPI schemas (checked
// strictly: the API server prunes unknown fields of a CRD silently, so a misspelt
// key would otherwise vanish without an error).
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Ajv } from "ajv";
import { parseAllDocuments } from "yaml";
import { sharedDir } from "./shared.js";
import { validateWithDocumentedSchema } from "./documented-schemas.js";

/** Model packages that map "group/version" onto an import path, tried in order. */
const MODEL_PACKAGES = [
  "kubernetes-models",
  "@kubernetes-models/karpenter",
  "@kubernetes-models/keda",
  "@kubernetes-models/prometheus-operator",
  "@kubernetes-models/argo-rollouts",
];

type Model = new (data: unknown) => { validate(): void };

/** The model class for an apiVersion/kind, or undefined when no package has one. */
async function modelFor(apiVersion: string, kind: string): Promise<Model | undefined> {
  for (const pkg of MODEL_PACKAGES) {
    try {
      const mod = (await import(`${pkg}/${apiVersion}`)) as Record<string, unknown>;
      if (typeof mod[kind] === "function") return mod[kind] as Model;
    } catch {
      // not this package's group
    }
  }
  return undefined;
}

/** Validates against the model's schema; returns the error text or undefined when valid. */
export async function validateWithModel(obj: { apiVersion: string; kind: string }): Promise<string | undefined | "no-model"> {
  const Cls = await modelFor(obj.apiVersion, obj.kind);
  if (!Cls) {
    // Kinds without a model package (EKS Auto Mode's NodeClass) are checked against their documented schema.
    const documented = validateWithDocumentedSchema(obj);
    return documented === "no-schema" ? "no-model" : documented;
  }
  try {
    new Cls(obj).validate();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

type Validate = ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };

/** Adds additionalProperties:false wherever a CRD schema lists properties and does not preserve unknown fields. */
function strict(schema: any): any {
  if (Array.isArray(schema)) return schema.map(strict);
  if (typeof schema !== "object" || schema === null) return schema;
  const out: any = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k.startsWith("x-kubernetes-")) continue;
    out[k] = k === "properties" ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, strict(s)])) : strict(v);
  }
  if (schema.properties && schema.additionalProperties === undefined && !schema["x-kubernetes-preserve-unknown-fields"]) {
    out.additionalProperties = false;
  }
  return out;
}

let crdValidators: Map<string, Validate> | undefined;

/** Validators of the shared upstream CRDs by "group/version/Kind" (empty when the workplace has none). */
export function crdValidatorsByKind(): Map<string, Validate> {
  if (crdValidators) return crdValidators;
  crdValidators = new Map();
  const dir = sharedDir("crds");
  if (!dir) return crdValidators;
  const ajv = new Ajv({ strict: false, allErrors: true });
  // One level of folders too: the Argo Rollouts CRDs live in crds/argo-rollouts/.
  const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".yaml"));
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(path.join(dir, file), "utf8"))) {
      const crd = doc.toJSON() as any;
      if (crd?.kind !== "CustomResourceDefinition") continue;
      for (const version of crd.spec.versions) {
        const schema = { ...version.schema.openAPIV3Schema };
        delete schema.properties?.status;
        crdValidators.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, ajv.compile(strict(schema)) as Validate);
      }
    }
  }
  return crdValidators;
}

/** Validates against a shared upstream CRD; "no-crd" when none is at hand. */
export function validateWithCrd(obj: { apiVersion: string; kind: string }): string | undefined | "no-crd" {
  const validate = crdValidatorsByKind().get(`${obj.apiVersion}/${obj.kind}`);
  if (!validate) return "no-crd";
  return validate(obj) ? undefined : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`).join("; ");
}
