// The Node flags the image runs the server with: ENV NODE_OPTIONS in both Dockerfiles (so
// WORKERS' cluster processes inherit them too), and given to the servers `npm run bench`
// measures, so that its figures are the image's.
//
// --max-semi-space-size=8: V8 sizes the young generation from the heap limit, which it takes
// from the host's or the container's memory; with the 6-12 GiB pods of dev/staging/prod (and
// this 24 GiB host) a semi-space grows to 32 MiB, three of them per process (Node's CLI docs,
// https://nodejs.org/api/cli.html#--max-semi-space-sizesize-in-mib). A server allocates short-
// lived request objects only, so the large young generation bought memory and no speed: on a
// quiet 2-core host (docs/bench.md, "Memory") 8 MiB served as many or more requests with peak
// RSS 167 MiB instead of 201-207; 4 MiB promoted request objects early and grew the old space.
export const SERVER_NODE_OPTIONS = "--max-semi-space-size=8";

/** The NODE_OPTIONS value a Dockerfile sets with ENV (quoted or not), or undefined. */
export function dockerfileNodeOptions(dockerfile: string): string | undefined {
  const match = /^\s*(?:ENV\s+)?NODE_OPTIONS=(?:"([^"]*)"|(\S+))/m.exec(dockerfile.replace(/\\\n/g, "\n"));
  return match ? (match[1] ?? match[2]) : undefined;
}
