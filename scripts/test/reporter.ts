// The test run's reporter: node's spec output, then one closing line that names
// every skipped test group and why, so that a run that silently lost its Redis,
// promtool or image tests says so on its last line.
//   node --test --test-reporter=./scripts/test/reporter.ts ...
import { spec } from "node:test/reporters";
import { finished } from "node:stream/promises";
import type { TestEvent } from "node:test/reporters";
import path from "node:path";

/** A skipped test or group: where it is, its name, and the reason it gave. */
export interface Skip {
  file: string;
  name: string;
  reason: string;
}

/** The closing line: skips grouped by reason, each naming its groups with their files. */
export function skipSummary(skips: readonly Skip[]): string {
  if (skips.length === 0) return "Skipped: nothing";
  const byReason = new Map<string, Skip[]>();
  for (const skip of skips) byReason.set(skip.reason, [...(byReason.get(skip.reason) ?? []), skip]);
  const parts = [...byReason].map(([reason, list]) => {
    const names = list.map((s) => `"${s.name}" (${s.file})`).join(", ");
    return `${reason}: ${names}`;
  });
  return `Skipped ${skips.length}: ${parts.join("; ")}`;
}

export default async function* reporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const inner = new spec();
  const pending: string[] = [];
  inner.on("data", (chunk: string | Buffer) => pending.push(chunk.toString()));
  const skips: Skip[] = [];
  for await (const event of source) {
    if (event.type === "test:pass" || event.type === "test:fail") {
      const { skip, name, file } = event.data;
      if (skip !== undefined && skip !== false) {
        skips.push({
          file: file ? path.relative(process.cwd(), file) : "?",
          name,
          reason: typeof skip === "string" && skip !== "" ? skip : "no reason given",
        });
      }
    }
    inner.write(event);
    while (pending.length > 0) yield pending.shift()!;
  }
  inner.end();
  await finished(inner);
  yield* pending;
  yield `${skipSummary(skips)}\n`;
}
