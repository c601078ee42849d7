// A stand-in for kubectl and the AWS CLI (installed under both names), for testing `npm run
// wait-ready` end to end. Each call is keyed by what it asks ("kubectl get deployment",
// "aws describe-target-health <target-group-arn>") and answered with the next entry of that key's
// list in FAKE_CLI_SCRIPT (a JSON file {key: [answer, ...]}; the last answer repeats): an object is
// printed as JSON, {"exit": N, "stderr": "..."} fails. Every call is appended to FAKE_CLI_LOG (one
// JSON object a line: tool, args, key). Plain JavaScript so that each call starts fast.
import { appendFileSync, readFileSync } from "node:fs";
import path from "node:path";

const tool = path.basename(process.argv[1]);
const args = process.argv.slice(2);
const valueOf = (flag) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
let key;
if (tool === "kubectl") {
  const words = args.filter((a, i) => !a.startsWith("--") && !["--kubeconfig", "--namespace", "--output"].includes(args[i - 1]));
  key = `kubectl ${words[0]} ${words[1]}`;
} else {
  const arn = valueOf("--target-group-arn");
  key = `aws ${args[1]}${arn ? ` ${arn}` : ""}`;
}
const log = process.env.FAKE_CLI_LOG;
const earlier = readFileSync(log, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l)).filter((c) => c.key === key).length;
appendFileSync(log, `${JSON.stringify({ tool, args, key })}\n`);
const answers = JSON.parse(readFileSync(process.env.FAKE_CLI_SCRIPT, "utf8"))[key];
if (!answers) {
  console.error(`fake ${tool}: nothing scripted for "${key}"`);
  process.exit(2);
}
const answer = answers[Math.min(earlier, answers.length - 1)];
if (typeof answer.exit === "number") {
  console.error(answer.stderr ?? "failed");
  process.exit(answer.exit);
}
console.log(JSON.stringify(answer));
