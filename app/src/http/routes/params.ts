import type { Request } from "express";

/** A named route parameter (never a wildcard here, so always one string). */
export const param = (req: Request, name: string): string | undefined => {
  const v = req.params[name];
  return Array.isArray(v) ? v.join("/") : v;
};
