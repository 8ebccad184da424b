import { ApiException } from "@kubernetes/client-node";

/** The HTTP status and Kubernetes `Status` of a failed API call, if that is what the error is. */
export function apiFailure(
  error: unknown,
): { readonly code: number; readonly reason?: string; readonly message: string } | undefined {
  if (!(error instanceof ApiException)) return undefined;
  const code = Number(error.code);
  // client-node 1.x hands the body over as the raw response text.
  let status: unknown = error.body;
  if (typeof error.body === "string") {
    const text = error.body;
    try {
      status = JSON.parse(text);
    } catch {
      return { code, message: text };
    }
  }
  if (typeof status === "object" && status !== null) {
    const { reason, message, details } = status as { reason?: unknown; message?: unknown; details?: unknown };
    const causes = (details as { causes?: { field?: string; message?: string }[] } | undefined)?.causes ?? [];
    const causeText = causes.map((cause) => `${cause.field ?? "?"}: ${cause.message ?? ""}`).join("; ");
    return {
      code,
      ...(typeof reason === "string" ? { reason } : {}),
      message: [typeof message === "string" ? message : `HTTP ${code}`, causeText].filter(Boolean).join(" — "),
    };
  }
  return { code, message: `HTTP ${code}` };
}
