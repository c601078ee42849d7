// An error that carries the HTTP status and V2 error message a client should get.

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Extra response headers, e.g. Retry-After when shedding load. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** 400: the request is malformed or does not fit the model. */
export const badRequest = (message: string) => new HttpError(400, message);
