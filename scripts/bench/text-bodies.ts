// V2 request bodies for the bundled spam classifier: distinct texts from the SpamAssassin
// corpus the model was trained on, so that no two requests in a run are coalesced or cached.
import { loadExamples } from "../train/dataset.js";

/** Characters kept per text: a sentence-sized message, as a client classifying messages sends. */
const TEXT_CHARS = 200;

/** `count` JSON bodies of `textsPerRequest` texts each; every text differs from every other (a suffix numbers them). */
export function textBodies(count: number, textsPerRequest: number): string[] {
  const texts = loadExamples().map((e) => e.text.slice(0, TEXT_CHARS));
  return Array.from({ length: count }, (_, i) => {
    const data = Array.from({ length: textsPerRequest }, (_, j) => `${texts[(i * textsPerRequest + j) % texts.length]!} #${i}.${j}`);
    return JSON.stringify({ inputs: [{ name: "text", datatype: "BYTES", shape: [textsPerRequest], data }] });
  });
}
