// Argo Rollouts' verdict on one analysis measurement, as a pure function: the
// subset of its expression language (expr-lang) that our AnalysisTemplates use,
// and the rule that turns successCondition / failureCondition into a phase.
// Sources (Argo Rollouts v1.9.0, the chart's appVersion):
//   utils/evaluate/evaluate.go  EvaluateResult, EvalCondition (env: result, isNaN, isInf)
//   metricproviders/prometheus/prometheus.go  processResponse: a vector becomes
//     `result`, a list of its sample values (empty when the query returns nothing)
//   utils/analysis/helpers.go  analysisStatusOrder (best to worst)
// https://github.com/argoproj/argo-rollouts/blob/v1.9.0/utils/evaluate/evaluate.go
// Language: https://expr-lang.org/docs/language-definition (precedence as in its parser).

/** Phases of a measurement and of an analysis run, best first (Argo's analysisStatusOrder). */
export const ANALYSIS_PHASES = ["Successful", "Running", "Pending", "Inconclusive", "Error", "Failed"] as const;
export type AnalysisPhase = (typeof ANALYSIS_PHASES)[number];

/** What the Prometheus provider passes as `result`: the vector's sample values, or a scalar. */
export type MetricResult = number[] | number;

/** A metric's conditions as written in an AnalysisTemplate. */
export interface MetricConditions {
  successCondition?: string;
  failureCondition?: string;
}

export class ConditionError extends Error {
  override name = "ConditionError";
}

type Value = number | boolean | number[];

const FUNCTIONS: Record<string, (arg: Value) => Value> = {
  len: (v) => {
    if (!Array.isArray(v)) throw new ConditionError(`len() of ${describe(v)}: only an array has a length`);
    return v.length;
  },
  isNaN: (v) => Number.isNaN(num(v, "isNaN()")),
  isInf: (v) => Math.abs(num(v, "isInf()")) === Infinity,
};
const NAMES = ["result", ...Object.keys(FUNCTIONS), "true", "false"];

// Binary operators by precedence, as expr-lang's parser ranks them.
const BINARY: Record<string, number> = {
  "||": 10, or: 10,
  "&&": 15, and: 15,
  "==": 20, "!=": 20, "<": 20, ">": 20, "<=": 20, ">=": 20,
  "+": 30, "-": 30,
  "*": 60, "/": 60,
};
const UNARY: Record<string, number> = { "!": 50, not: 50, "-": 90, "+": 90 };

type Token = { kind: "num"; value: number } | { kind: "name"; value: string } | { kind: "op"; value: string };

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|([A-Za-z_]\w*)|(\|\||&&|==|!=|<=|>=|[<>!+\-*/()[\]]))/y;
  let at = 0;
  while (at < src.length) {
    if (/^\s*$/.test(src.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(src);
    if (!m) throw new ConditionError(`unexpected character ${JSON.stringify(src.slice(at).trim()[0])} at ${at} in ${JSON.stringify(src)}`);
    at = re.lastIndex;
    if (m[1] !== undefined) tokens.push({ kind: "num", value: Number(m[1]) });
    else if (m[2] === "and" || m[2] === "or" || m[2] === "not") tokens.push({ kind: "op", value: m[2] });
    else if (m[2] !== undefined) tokens.push({ kind: "name", value: m[2] });
    else tokens.push({ kind: "op", value: m[3]! });
  }
  return tokens;
}

// A parsed expression is a closure over `result`, so `&&` and `||` can short-circuit as expr's do.
type Node = (result: MetricResult) => Value;

function parse(src: string): Node {
  const tokens = tokenize(src);
  let i = 0;
  const peek = () => tokens[i];
  const fail = (what: string): never => {
    throw new ConditionError(`${what} in ${JSON.stringify(src)}`);
  };
  const expectOp = (op: string) => {
    const t = tokens[i++];
    if (t?.kind !== "op" || t.value !== op) fail(`expected "${op}"`);
  };

  function primary(): Node {
    const t = tokens[i++];
    if (!t) return fail("unexpected end");
    if (t.kind === "num") return () => t.value;
    if (t.kind === "op" && t.value === "(") {
      const inner = expression(0);
      expectOp(")");
      return inner;
    }
    if (t.kind === "op" && t.value in UNARY) {
      const operand = expression(UNARY[t.value]!);
      if (t.value === "!" || t.value === "not") return (r) => !bool(operand(r), t.value);
      return t.value === "-" ? (r) => -num(operand(r), "-") : (r) => num(operand(r), "+");
    }
    if (t.kind !== "name") return fail(`unexpected "${t.value}"`);
    if (t.value === "true" || t.value === "false") {
      const b = t.value === "true";
      return () => b;
    }
    if (t.value === "result") return (r) => r;
    const fn = FUNCTIONS[t.value];
    if (!fn) return fail(`unknown name "${t.value}"; allowed: ${NAMES.join(", ")}`);
    expectOp("(");
    const arg = expression(0);
    expectOp(")");
    return (r) => fn(arg(r));
  }

  function postfix(): Node {
    let node = primary();
    while (peek()?.kind === "op" && peek()!.value === "[") {
      i++;
      const target = node;
      const index = expression(0);
      expectOp("]");
      node = (r) => {
        const arr = target(r);
        const k = num(index(r), "[]");
        if (!Array.isArray(arr)) throw new ConditionError(`cannot index ${describe(arr)}`);
        if (!Number.isInteger(k) || k < 0 || k >= arr.length) {
          throw new ConditionError(`index out of range: ${k} (array length is ${arr.length})`);
        }
        return arr[k]!;
      };
    }
    return node;
  }

  function expression(minPrecedence: number): Node {
    let left = postfix();
    for (;;) {
      const t = peek();
      const precedence = t?.kind === "op" ? BINARY[t.value] : undefined;
      if (!t || precedence === undefined || precedence <= minPrecedence) return left;
      i++;
      const right = expression(precedence);
      left = binary(String(t.value), left, right);
    }
  }

  const node = expression(0);
  if (i < tokens.length) fail(`unexpected "${String(tokens[i]!.value)}"`);
  return node;
}

function binary(op: string, left: Node, right: Node): Node {
  switch (op) {
    case "&&":
    case "and":
      return (r) => bool(left(r), op) && bool(right(r), op);
    case "||":
    case "or":
      return (r) => bool(left(r), op) || bool(right(r), op);
    case "==":
      return (r) => equal(left(r), right(r));
    case "!=":
      return (r) => !equal(left(r), right(r));
  }
  const arithmetic: Record<string, (a: number, b: number) => Value> = {
    "<": (a, b) => a < b,
    ">": (a, b) => a > b,
    "<=": (a, b) => a <= b,
    ">=": (a, b) => a >= b,
    "+": (a, b) => a + b,
    "-": (a, b) => a - b,
    "*": (a, b) => a * b,
    "/": (a, b) => a / b,
  };
  const f = arithmetic[op]!;
  return (r) => f(num(left(r), op), num(right(r), op));
}

function equal(a: Value, b: Value): boolean {
  if (typeof a !== typeof b || Array.isArray(a) || Array.isArray(b)) throw new ConditionError(`cannot compare ${describe(a)} with ${describe(b)}`);
  return a === b;
}

function num(v: Value, op: string): number {
  if (typeof v !== "number") throw new ConditionError(`${op} needs a number, got ${describe(v)}`);
  return v;
}

function bool(v: Value, op: string): boolean {
  if (typeof v !== "boolean") throw new ConditionError(`${op} needs a boolean, got ${describe(v)}`);
  return v;
}

function describe(v: Value): string {
  return Array.isArray(v) ? `an array [${v.join(", ")}]` : typeof v === "boolean" ? `the boolean ${v}` : `the number ${v}`;
}

/** Evaluates one condition over a measurement's result; throws ConditionError as Argo reports an Error. */
export function evaluateCondition(condition: string, result: MetricResult): boolean {
  const value = parse(condition)(result);
  if (typeof value !== "boolean") throw new ConditionError(`expected bool, but got ${describe(value)} from ${JSON.stringify(condition)}`);
  return value;
}

/** Checks that a condition parses (names, operators, brackets); the program calls it on every template it builds. */
export function checkCondition(condition: string): void {
  parse(condition);
}

/**
 * The phase of one measurement, by EvaluateResult's rule: with both conditions,
 * neither true is Inconclusive; with only a success condition, false is Failed;
 * with only a failure condition, false is Successful; none at all is Successful;
 * a condition that cannot be evaluated (e.g. result[0] of an empty vector) is Error.
 */
export function measurementPhase(result: MetricResult, metric: MetricConditions): AnalysisPhase {
  let success = false;
  let failure = false;
  try {
    if (metric.successCondition) success = evaluateCondition(metric.successCondition, result);
    if (metric.failureCondition) failure = evaluateCondition(metric.failureCondition, result);
  } catch (err) {
    if (err instanceof ConditionError) return "Error";
    throw err;
  }
  if (!metric.successCondition && !metric.failureCondition) return "Successful";
  if (metric.successCondition && !metric.failureCondition) failure = !success;
  if (!metric.successCondition && metric.failureCondition) success = !failure;
  if (failure) return "Failed";
  return success ? "Successful" : "Inconclusive";
}

/** The worst of several phases, in Argo's order (a run is as bad as its worst metric). */
export function worstPhase(phases: AnalysisPhase[]): AnalysisPhase {
  return phases.reduce<AnalysisPhase>((worst, p) => (ANALYSIS_PHASES.indexOf(p) > ANALYSIS_PHASES.indexOf(worst) ? p : worst), "Successful");
}
