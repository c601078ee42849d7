// Deploying a chosen image without touching the checked-in stack file: promote and rollback
// hand `pulumi up --config-file` a copy of stacks/Pulumi.<stack>.yaml whose image config pins
// the release's digest (image.ref, which the program deploys instead of building or reading
// promoteFrom; a building stack keeps its registry).
import { isMap, parseDocument } from "yaml";
import { PROJECT } from "../../infra/config.js";
import { parseImageRef } from "./registry.js";
import { ReleaseError } from "../../infra/delivery/release-history.js";

/** The image config key in a stack file. */
export const IMAGE_CONFIG_KEY = `${PROJECT}:image`;

/** Stack file text with `<project>:image.ref` pinned to `imageRef`; other keys, comments and secrets kept. */
export function pinImageInStackFile(stackFileText: string, imageRef: string, file: string): string {
  parseImageRef(imageRef); // refuses anything not pinned by digest
  const doc = parseDocument(stackFileText);
  if (doc.errors.length > 0) throw new ReleaseError(`${file} is not valid YAML: ${doc.errors[0]!.message}`);
  if (doc.contents !== null && !isMap(doc.contents)) throw new ReleaseError(`${file} must be a YAML mapping with a "config" key`);
  const image = doc.getIn(["config", IMAGE_CONFIG_KEY]);
  if (image !== undefined && !isMap(image)) throw new ReleaseError(`${file}: "${IMAGE_CONFIG_KEY}" must be an object`);
  doc.setIn(["config", IMAGE_CONFIG_KEY, "ref"], imageRef);
  return doc.toString();
}

/** Short stack name ("prod" from "org/prod" or "org/project/prod"), which names its file in stacks/. */
export function stackFileName(stack: string): string {
  return `Pulumi.${stack.split("/").at(-1)}.yaml`;
}

/** Whether a stack file builds its image (`<project>:image.build: true`), rather than deploying one by digest. */
export function buildsImage(stackFileText: string, file: string): boolean {
  const doc = parseDocument(stackFileText);
  if (doc.errors.length > 0) throw new ReleaseError(`${file} is not valid YAML: ${doc.errors[0]!.message}`);
  return doc.getIn(["config", IMAGE_CONFIG_KEY, "build"]) === true;
}
