// The HTTP ceiling of the benchmark: Express parsing the same body the server gets (JSON
// parsed, binary read whole), answering every POST /infer with a fixed body
// (BARE_RESPONSE) of the size a real answer has, and doing nothing else.
import express from "express";

const port = Number(process.env.PORT);
const body = process.env.BARE_RESPONSE ?? "{}";
const app = express();
app.disable("x-powered-by");
app.set("etag", false);
app.get("/ready", (_req, res) => {
  res.json({ ready: true });
});
app.post("/infer", express.json({ limit: "8mb" }), express.raw({ limit: "8mb", type: "application/octet-stream" }), (_req, res) => {
  res.type("application/json").send(body);
});
app.listen(port, "127.0.0.1");
process.once("SIGTERM", () => process.exit(0));
