// Overload request bodies for the bundled spam classifier: more distinct bodies than the
// largest overload run has connections, so that no two concurrent requests are identical
// (identical ones would share one inference and flatter the goodput).
import { lightTexts } from "./light-model.js";

/** `count` JSON bodies of `textsPerRequest` corpus texts each; a suffix numbers every text, so all differ. */
export function textBodies(count: number, textsPerRequest: number): string[] {
  const texts = lightTexts();
  return Array.from({ length: count }, (_, i) => {
    const data = Array.from({ length: textsPerRequest }, (_, j) => `${texts[(i * textsPerRequest + j) % texts.length]!} #${i}.${j}`);
    return JSON.stringify({ inputs: [{ name: "text", datatype: "BYTES", shape: [textsPerRequest], data }] });
  });
}
