// Loaded into every test file's process (`node --import ./scripts/test/exit-guard.ts --test`):
// a file whose tests have all finished but whose process stays alive (a server, socket, child
// or timer left open) fails with the handles named, instead of hanging the run.
// This replaces `--test-force-exit`, which under process isolation lets the parent runner exit
// while a child's results are still in the pipe, dropping verdicts that had passed
// (nodejs/node#64833: a CI run here lost the tail of test/infra/config.test.ts with exit 0).
import { after } from "node:test";

/** How long a finished file may take to exit: child processes and sockets closing. */
const graceMs = Number(process.env.TEST_EXIT_GRACE_MS ?? 30_000);

/** The line a lingering file fails with. */
export function lingeringMessage(file: string, seconds: number, resources: readonly string[]): string {
  return (
    `${file}: every test finished ${seconds} s ago but the process is still alive, held by ` +
    `${resources.join(", ") || "nothing node reports"}; close what the tests opened (servers, sockets, child processes, timers)`
  );
}

// Only in a test file's own process (node sets NODE_TEST_CONTEXT there), not in the runner.
if (process.env.NODE_TEST_CONTEXT !== undefined) {
  after(() => {
    setTimeout(() => {
      console.error(lingeringMessage(process.argv[1] ?? "?", graceMs / 1000, process.getActiveResourcesInfo()));
      process.exit(1);
    }, graceMs).unref();
  });
}
