// BigQuery's error shape, as every Google JSON API sends it:
//   {"error": {"code": 400, "message": "…", "errors": [{"message", "domain": "global", "reason"}], "status": "INVALID_ARGUMENT"}}
// (https://cloud.google.com/bigquery/docs/error-messages). A job that fails carries the same
// reason in `status.errorResult` instead. The Node client turns either into its ApiError with
// `code` and `errors[].reason`.

/** HTTP status → the canonical gRPC status name Google puts beside it. */
const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  412: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** The HTTP status BigQuery's error table gives each reason. */
const REASON_STATUS: Record<string, number> = {
  invalid: 400,
  invalidQuery: 400,
  bytesBilledLimitExceeded: 400,
  badRequest: 400,
  required: 401,
  authError: 401,
  accessDenied: 403,
  rateLimitExceeded: 403,
  quotaExceeded: 403,
  billingNotEnabled: 403,
  responseTooLarge: 403,
  notFound: 404,
  duplicate: 409,
  backendError: 500,
  internalError: 500,
  notImplemented: 501,
  timeout: 503,
};

/** The reason a bare status most likely carries. */
const STATUS_REASON: Record<number, string> = {
  400: 'invalid',
  401: 'authError',
  403: 'accessDenied',
  404: 'notFound',
  409: 'duplicate',
  429: 'rateLimitExceeded',
  500: 'backendError',
  502: 'backendError',
  503: 'backendError',
  504: 'timeout',
};

export function statusForReason(reason: string): number {
  return REASON_STATUS[reason] ?? 400;
}

export function reasonForStatus(status: number): string {
  return STATUS_REASON[status] ?? (status >= 500 ? 'backendError' : 'invalid');
}

/** A refusal in BigQuery's terms; routes throw it and the server answers it (or a job carries it). */
export class BigQueryError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    /** ErrorProto.location, e.g. `q` for the query text or `Authorization`. */
    readonly location?: string,
  ) {
    super(message);
    this.name = 'BigQueryError';
  }

  static invalidQuery(message: string): BigQueryError {
    return new BigQueryError(400, 'invalidQuery', message, 'q');
  }

  static invalid(message: string): BigQueryError {
    return new BigQueryError(400, 'invalid', message);
  }

  static notFound(message: string): BigQueryError {
    return new BigQueryError(404, 'notFound', message);
  }

  /** ErrorProto, as in `errors[]` and a job's `status.errorResult`. */
  proto(): { reason: string; message: string; location?: string } {
    return { reason: this.reason, message: this.message, ...(this.location ? { location: this.location } : {}) };
  }
}

/** The JSON body of an error response. */
export function errorBody(code: number, reason: string, message: string, location?: string): unknown {
  const detail: Record<string, string> = { message, domain: 'global', reason };
  if (location) {
    detail.location = location;
    detail.locationType = location === 'Authorization' ? 'header' : 'parameter';
  }
  return { error: { code, message, errors: [detail], status: STATUS_NAMES[code] ?? (code >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION') } };
}
