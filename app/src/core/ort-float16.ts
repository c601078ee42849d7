// Imported for its effect, before onnxruntime-node, by the thread that runs sessions.
// Where the runtime has Float16Array (Node 24), onnxruntime-common turns float16 tensor data
// into a Float16Array view, and onnxruntime-node 1.30's binding reads its byte length as 0:
// every FP16 input fails with "not enough space: expected N, got 0"
// (microsoft/onnxruntime#26791, fix still open in microsoft/onnxruntime#32323). Hiding
// Float16Array from this thread keeps FP16 data in Uint16Array (IEEE half bits), which the
// binding reads correctly and which the protocol code already speaks. The same workaround is
// huggingface/transformers.js#1481.
Reflect.deleteProperty(globalThis, "Float16Array");
