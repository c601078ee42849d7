// The README's gRPC example, exactly as written: the grpcurl command is read from README.md, its
// request body checked field by field against the served .proto (grpcurl refuses unknown fields,
// so one the proto lacks must fail here too) and sent to the real server started as `npm start`
// would be, with the gRPC port on; the answer is the REST example's answer for the same sentence.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { BUNDLED_MODEL_REPOSITORY } from "../app/src/config.js";
import { InferenceService, PROTO_FILE } from "../app/src/grpc/proto.js";
import { grpcClient } from "./app/grpc/client.js";
import { startAppProcess, type AppProcess } from "./support/app-process.js";
import { REPO_ROOT } from "./support/pulumi-program.js";

const README = readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");

/** The fenced ```sh block whose command starts with `command`. */
function shellBlock(command: string): string {
  const block = [...README.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.startsWith(`${command} `));
  assert.ok(block, `README has a sh block running ${command}`);
  return block;
}

/** Words of a shell command as sh would split it: line continuations joined, single quotes kept together. */
function shellWords(command: string): string[] {
  return [...command.replace(/\\\n/g, " ").matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

const GRPCURL_SWITCHES = new Set(["-plaintext"]);

/** grpcurl's flags (switches as true), address and method. */
function grpcurlCall(words: string[]) {
  assert.equal(words[0], "grpcurl");
  const flags = new Map<string, string | true>();
  let i = 1;
  for (; words[i]?.startsWith("-"); i++) {
    const flag = words[i]!;
    flags.set(flag, GRPCURL_SWITCHES.has(flag) ? true : words[++i]!);
  }
  assert.equal(words.length, i + 2, `address and method after the flags, got ${JSON.stringify(words.slice(i))}`);
  return { flags, address: words[i]!, method: words[i + 1]! };
}

/**
 * Whether every field of `sent` (JSON as grpcurl takes it) survived encoding with the proto:
 * protobuf drops unknown fields on encoding, so a field missing after the round trip is one the
 * proto lacks; bytes are base64 text, 64-bit integers come back as decimal strings.
 */
function lostInEncoding(sent: unknown, decoded: unknown, at = "$"): string[] {
  if (Array.isArray(sent)) {
    if (!Array.isArray(decoded) || decoded.length !== sent.length) return [`${at}: ${JSON.stringify(sent)} became ${JSON.stringify(decoded)}`];
    return sent.flatMap((s, i) => lostInEncoding(s, decoded[i], `${at}[${i}]`));
  }
  if (typeof sent === "object" && sent !== null) {
    if (typeof decoded !== "object" || decoded === null) return [`${at}: not a message in the proto`];
    return Object.entries(sent).flatMap(([k, v]) => (k in decoded ? lostInEncoding(v, (decoded as Record<string, unknown>)[k], `${at}.${k}`) : [`${at}.${k}: no such field`]));
  }
  if (Buffer.isBuffer(decoded)) return typeof sent === "string" && decoded.toString("base64") === sent ? [] : [`${at}: not base64 of its bytes`];
  return String(sent) === String(decoded) ? [] : [`${at}: ${JSON.stringify(sent)} became ${JSON.stringify(decoded)}`];
}

/** BYTES elements of a raw tensor: 4-byte little-endian length, then the bytes, repeated. */
function bytesElements(raw: Buffer): string[] {
  const out: string[] = [];
  for (let at = 0; at < raw.length; ) {
    const n = raw.readUInt32LE(at);
    out.push(raw.subarray(at + 4, at + 4 + n).toString("utf8"));
    at += 4 + n;
  }
  return out;
}

describe("README: the gRPC example", () => {
  const call = grpcurlCall(shellWords(shellBlock("grpcurl")));
  const body = JSON.parse(call.flags.get("-d") as string);
  const rest = JSON.parse(/-d '([^']*)'/.exec(shellBlock("curl"))![1]!);
  const restAnswer = JSON.parse(/```json\n(.*)\n```/.exec(README)![1]!);
  let app: AppProcess;
  before(async () => {
    app = await startAppProcess(BUNDLED_MODEL_REPOSITORY, { GRPC_PORT: "0" });
  });
  after(() => app?.stop());

  it("names the served .proto and an RPC of its service, plaintext at the port the README starts the server with", () => {
    assert.equal(path.resolve(REPO_ROOT, call.flags.get("-import-path") as string, call.flags.get("-proto") as string), PROTO_FILE);
    const [service, method] = call.method.split("/");
    assert.equal(service, "inference.GRPCInferenceService");
    assert.ok(method! in InferenceService.service, `${method} is an RPC of ${service}`);
    assert.equal(call.flags.get("-plaintext"), true, "npm start serves gRPC without TLS");
    const started = /`GRPC_PORT=(\d+) npm start`/.exec(README);
    assert.equal(call.address, `localhost:${started?.[1]}`);
  });

  it("sends a body whose every field is in the proto, the REST example's sentence as base64 bytes", () => {
    const rpc = InferenceService.service[call.method.split("/")[1]!]!;
    assert.deepEqual(lostInEncoding(body, rpc.requestDeserialize(rpc.requestSerialize(body))), []);
    assert.deepEqual(lostInEncoding({ ...body, input: [] }, rpc.requestDeserialize(rpc.requestSerialize({ ...body, input: [] }))), ["$.input: no such field"], "the check catches a misspelt field");
    assert.equal(Buffer.from(body.inputs[0].contents.bytes_contents[0], "base64").toString("utf8"), rest.inputs[0].data[0]);
  });

  it("answers, in raw_output_contents, the REST example's label for the same sentence", async () => {
    const client = grpcClient(app.grpcAddress!);
    try {
      const answer = await client.call(call.method.split("/")[1]!, body);
      assert.equal(answer.model_name, body.model_name);
      const label = answer.outputs.findIndex((o: { name: string }) => o.name === "label");
      const restLabel = restAnswer.outputs.find((o: { name: string }) => o.name === "label");
      assert.deepEqual(bytesElements(answer.raw_output_contents[label]), restLabel.data);
    } finally {
      client.close();
    }
  });
});
