// The Node flags the image runs the server with: ENV NODE_OPTIONS in both Dockerfiles (so
// WORKERS' cluster processes inherit them too), and given to the servers `npm run bench`
// measures, so that its figures are the image's.
//
// --max-semi-space-size=16: V8 sizes the young generation from the heap limit, which it takes
// from the host's or the container's memory; with the 6-12 GiB pods of dev/staging/prod (and
// this 24 GiB host) a semi-space grows to 32-64 MiB, three of them per process (Node's CLI docs,
// https://nodejs.org/api/cli.html#--max-semi-space-sizesize-in-mib: 16 MiB or less is the
// default up to a 2 GiB limit). A server's garbage is short-lived request objects, and the
// larger young generation bought memory, not speed. Quiet 2-core host (docs/images.md, docs/bench.md):
// one process at 1 and 32 texts per request, peak RSS 201-207 MiB by default, 176-180 at 16,
// 167 at 8, at equal or higher req/s; two processes under 1600 connections, 264-278 MiB by
// default, 214-232 at 16 and 241-256 at 8 (a young generation too small for 1600 requests in
// flight promotes them early), with the same goodput within the noise.
export const SERVER_NODE_OPTIONS = "--max-semi-space-size=16";

/** The NODE_OPTIONS value a Dockerfile sets with ENV (quoted or not), or undefined. */
export function dockerfileNodeOptions(dockerfile: string): string | undefined {
  const match = /^\s*(?:ENV\s+)?NODE_OPTIONS=(?:"([^"]*)"|(\S+))/m.exec(dockerfile.replace(/\\\n/g, "\n"));
  return match ? (match[1] ?? match[2]) : undefined;
}
