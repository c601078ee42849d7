// REST statuses and their gRPC codes: the core raises HttpError, each front door maps it.
// The pairs follow the gRPC status-code mapping (grpc/grpc doc/statuscodes.md and
// doc/http-grpc-status-mapping.md) and Triton's choices (UNAVAILABLE for a full queue).
import { status } from "@grpc/grpc-js";

const CODE_OF_HTTP: Record<number, status> = {
  400: status.INVALID_ARGUMENT,
  401: status.UNAUTHENTICATED,
  403: status.PERMISSION_DENIED,
  404: status.NOT_FOUND,
  413: status.RESOURCE_EXHAUSTED,
  415: status.INVALID_ARGUMENT,
  429: status.RESOURCE_EXHAUSTED,
  500: status.INTERNAL,
  501: status.UNIMPLEMENTED,
  503: status.UNAVAILABLE,
  504: status.DEADLINE_EXCEEDED,
};

/** The gRPC code a REST status stands for; unlisted 4xx are INVALID_ARGUMENT, the rest INTERNAL. */
export function grpcCode(httpStatus: number): status {
  return CODE_OF_HTTP[httpStatus] ?? (httpStatus >= 400 && httpStatus < 500 ? status.INVALID_ARGUMENT : status.INTERNAL);
}
