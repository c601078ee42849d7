// Which bearer token the smoke test sends: each stack's own. A promotion smoke-tests the source
// stack from the target's CI job, so one shared SMOKE_TOKEN would send the target's token to the
// source; instead SMOKE_TOKEN_<STACK> (e.g. SMOKE_TOKEN_STAGING) names each stack's token, and
// SMOKE_TOKEN only serves `npm run smoke -- <url>` without --stack.

/** The environment variable holding a stack's token: SMOKE_TOKEN_ + its short name, upper-cased, [^A-Z0-9] as _. */
export function smokeTokenVariable(stack: string): string {
  return `SMOKE_TOKEN_${stack.split("/").at(-1)!.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/** The token for a smoke test of `stack` (its own variable only), or of a bare URL (SMOKE_TOKEN). */
export function smokeToken(stack: string | undefined, env: Record<string, string | undefined>): string | undefined {
  const value = stack === undefined ? env.SMOKE_TOKEN : env[smokeTokenVariable(stack)];
  return value ? value : undefined;
}
