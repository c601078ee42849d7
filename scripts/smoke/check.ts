// One smoke check's outcome: shared by the checks (smoke.ts, tls.ts) without either importing the other.
export interface SmokeCheck {
  name: string;
  passed: boolean;
  /** What was seen, or why it failed. */
  detail: string;
}
