// The Dockerfiles' invariants, read from their text: multi-stage, non-root, production
// dependencies only, compiled JS, models baked in, CUDA opted in only where meant. The
// CPU image is also built and run for real by test/image (podman); the CUDA image
// cannot be built here (its base and ORT's CUDA download are out of reach), so its
// text is all there is to check.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { toolchain } from "../../scripts/image/stand-in-base.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  base: string;
  name?: string;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages of instructions (continuations joined, comments dropped, ARGs substituted in FROM). */
function parseDockerfile(file: string): Stage[] {
  const text = readFileSync(path.join(root, file), "utf8");
  const logical = text
    .split("\n")
    .filter((line) => !/^\s*#/.test(line))
    .join("\n")
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword = "", rest = ""] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = keyword.toUpperCase();
    if (upper === "ARG" && stages.length === 0) {
      const [name, value = ""] = rest.split("=", 2);
      args.set(name!, value);
    } else if (upper === "FROM") {
      const [image = "", , name] = rest.replace(/\$\{(\w+)\}/g, (_, n: string) => args.get(n) ?? "").split(/\s+/);
      stages.push({ base: image, name, instructions: [] });
    } else {
      assert.ok(stages.length > 0, `${file}: ${keyword} before FROM`);
      stages.at(-1)!.instructions.push({ keyword: upper, args: rest });
    }
  }
  return stages;
}

const all = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
const last = (stage: Stage, keyword: string) => all(stage, keyword).at(-1);

/** Shared invariants of both images; returns the stages for variant-specific checks. */
function checkImage(file: string): { stages: Stage[]; runtime: Stage } {
  const stages = parseDockerfile(file);
  assert.ok(stages.length >= 3, `${file} is multi-stage (build, deps, runtime)`);
  const runtime = stages.at(-1)!;

  const user = last(runtime, "USER");
  assert.ok(user, `${file}: the runtime stage sets USER`);
  assert.doesNotMatch(user, /^(root|0)(:|$)/, `${file}: runs as non-root, got USER ${user}`);

  assert.deepEqual(all(runtime, "EXPOSE"), ["8080"]);
  assert.equal(last(runtime, "CMD"), '["node", "dist/main.js"]');
  assert.equal(last(runtime, "WORKDIR"), "/srv/app");

  const copies = all(runtime, "COPY");
  assert.ok(copies.includes("app/models app/models"), `${file}: models are baked in`);
  assert.ok(copies.includes("app/proto app/proto"), `${file}: the gRPC .proto the server loads at start`);
  assert.ok(copies.includes("app/package.json app/"), `${file}: app/package.json (read for the server version)`);
  for (const copy of copies) assert.doesNotMatch(copy, /--chown/, `${file}: files stay root-owned and read-only to the app`);

  const fromStage = (name: string) => {
    const stage = stages.find((s) => s.name === name);
    assert.ok(stage, `${file}: has a "${name}" stage`);
    return stage;
  };
  // Compiled JS from the build stage, via the app's build tsconfig.
  assert.ok(copies.includes("--from=build /src/app/dist app/dist"), `${file}: runtime gets dist from the build stage`);
  assert.ok(all(fromStage("build"), "RUN").some((r) => /\btsc -p app\/tsconfig\.build\.json\b/.test(r)));

  // Dependencies: the app workspace's production tree only, from the root lockfile.
  assert.ok(copies.includes("--from=deps /srv/node_modules node_modules"));
  const install = all(fromStage("deps"), "RUN").join(" && ");
  assert.match(install, /\bnpm ci\b/, `${file}: installs from the lockfile`);
  assert.match(install, /--omit=dev\b/, `${file}: no dev dependencies`);
  assert.match(install, /--workspace app\b/, `${file}: only the app workspace`);
  assert.ok(all(fromStage("deps"), "COPY").some((c) => /\bpackage-lock\.json\b/.test(c)), `${file}: uses the root lockfile`);

  // The build stage compiles with the app workspace's own compiler and types, not the whole root (Pulumi and all).
  const compile = all(fromStage("build"), "RUN").join(" && ");
  assert.match(compile, /\bnpm ci --workspace app\b/);
  assert.doesNotMatch(compile, /--include-workspace-root/, `${file}: the build stage installs only what the app needs`);

  // A release changes app/dist; it is the last layer, so a node that ran the previous release pulls only it.
  assert.equal(copies.at(-1), "--from=build /src/app/dist app/dist", `${file}: the compiled app is the last layer`);

  const env = all(runtime, "ENV").join(" ");
  assert.match(env, /\bNODE_ENV=production\b/);
  assert.match(env, /\bPORT=8080\b/);
  assert.match(env, /\bORT_DISABLE_TELEMETRY=1\b/, `${file}: onnxruntime's telemetry is off`);
  return { stages, runtime };
}

const nodeImage = `node:${toolchain(readFileSync(path.join(root, "scripts/toolchain.env"), "utf8")).nodeVersion}-bookworm-slim`;

describe("app/Dockerfile (CPU)", () => {
  it("is multi-stage on the pinned Node 24 slim image, non-root, production deps, compiled JS, models baked in", () => {
    const { stages, runtime } = checkImage("app/Dockerfile");
    for (const stage of stages) assert.equal(stage.base, nodeImage);
    assert.equal(last(runtime, "USER"), "node");
    assert.deepEqual(all(runtime, "RUN"), [], "the runtime stage installs and writes nothing");
  });

  it("keeps onnxruntime-node's CUDA download off (the repository .npmrc skip applies)", () => {
    const text = readFileSync(path.join(root, "app/Dockerfile"), "utf8");
    assert.doesNotMatch(text, /ONNXRUNTIME_NODE_INSTALL|onnxruntime-node-install/);
    assert.match(readFileSync(path.join(root, ".npmrc"), "utf8"), /^onnxruntime-node-install=skip$/m);
  });
});

describe("app/Dockerfile.cuda", () => {
  it("is the CPU image on the same Node base and user, plus only the CUDA libraries the provider needs", () => {
    const { stages, runtime } = checkImage("app/Dockerfile.cuda");
    assert.equal(runtime.base, nodeImage, "same base as the CPU image: its layers are shared");
    assert.equal(last(runtime, "USER"), "node", "the Deployment's runAsUser 1000");
    const libs = stages.find((s) => s.name === "cuda-libs");
    assert.match(libs?.base ?? "", /^nvidia\/cuda:12\.[\d.]+-cudnn-runtime-/, "libraries come from NVIDIA's CUDA 12 + cuDNN 9 image");
    const gather = all(libs!, "RUN").join(" ");
    assert.match(gather, /ldd \/ort\/libonnxruntime_providers_cuda\.so/, "what the provider links, as the linker resolves it");
    assert.match(gather, /libcudnn\*\.so\.9/, "cuDNN 9, loaded on demand");
    assert.match(gather, /\$1 != "libcuda\.so\.1"/, "never a libcuda of the image: the driver's comes from the node");
    assert.equal(all(runtime, "COPY")[0], "--from=cuda-libs /cuda-libs /usr/local/cuda/lib", "the CUDA layer first: it changes least");
    const env = all(runtime, "ENV").join(" ");
    assert.match(env, /\bEXECUTION_PROVIDER=cuda\b/);
    assert.match(env, /\bLD_LIBRARY_PATH=\/usr\/local\/cuda\/lib\b/);
    assert.match(env, /\bNVIDIA_DRIVER_CAPABILITIES=compute,utility\b/);
    assert.doesNotMatch(env, /NVIDIA_VISIBLE_DEVICES/, "the device plugin decides which GPUs a pod sees");
    const runs = all(runtime, "RUN");
    assert.equal(runs.length, 1, "one RUN: the check that the provider resolves every library");
    assert.match(runs[0]!, /^! ldd \S*libonnxruntime_providers_cuda\.so \| grep 'not found'/);
  });

  it("opts in to the CUDA provider download explicitly, overriding .npmrc, and fails the build without it", () => {
    const deps = parseDockerfile("app/Dockerfile.cuda").find((s) => s.name === "deps")!;
    const install = all(deps, "RUN").join(" && ");
    assert.match(install, /ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install\.js/);
    assert.match(install, /test -f \S*libonnxruntime_providers_cuda\.so/);
    // The variable wins over the npm config that .npmrc sets (checked in onnxruntime-node's own parser).
    const utils = readFileSync(path.join(root, "node_modules/onnxruntime-node/script/install-utils.js"), "utf8");
    assert.match(utils, /process\.env\.ONNXRUNTIME_NODE_INSTALL \|\| process\.env\.npm_config_onnxruntime_node_install/);
  });
});

describe(".dockerignore", () => {
  const patterns = readFileSync(path.join(root, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  const included = (p: string) => patterns.some((pat) => pat.startsWith("!") && (p === pat.slice(1) || p.startsWith(`${pat.slice(1)}/`)));

  it("excludes everything by default and lets in exactly what the Dockerfiles copy, all of which exists", () => {
    // An allow-list: infra/build-context.ts hashes exactly the "!" paths to tag the image.
    assert.equal(patterns[0], "*");
    assert.ok(patterns.slice(1).every((p) => p.startsWith("!")), "every line after * re-includes a path");
    for (const file of ["app/Dockerfile", "app/Dockerfile.cuda"]) {
      for (const stage of parseDockerfile(file)) {
        for (const copy of all(stage, "COPY").filter((c) => !c.startsWith("--from"))) {
          const sources = copy.split(/\s+/).slice(0, -1);
          for (const source of sources) {
            assert.ok(included(source), `${file}: COPY ${source} is let in by .dockerignore`);
            assert.ok(existsSync(path.join(root, source)), `${file}: COPY ${source} exists`);
          }
        }
      }
    }
    assert.ok(!included("node_modules") && !included("infra") && !included("test") && !included(".git"));
  });
});
