/** The gRPC status codes the adapter tells apart (from google.rpc.Code; google-gax is not a direct dependency). */
export const GRPC_STATUS = {
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
} as const;

/** The gRPC status code a client-library error carries, if it carries one. */
export function grpcStatusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  return typeof error.code === "number" ? error.code : undefined;
}

export function isGrpcStatus(error: unknown, code: number): boolean {
  return grpcStatusOf(error) === code;
}
