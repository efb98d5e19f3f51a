// The one error catalogue. Every failure a client can see is a Kubernetes `Status`, built here,
// with the reasons, codes and message shapes of Kubernetes v1.33 (apimachinery api/errors and
// util/validation/field). kubectl prints `Error from server (<reason>): <message>` from these.

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export class ApiError extends Error {
  readonly status: Status;
  constructor(code: number, reason: string | undefined, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'ApiError';
    this.status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      ...(reason ? { reason } : {}),
      ...(details ? { details } : {}),
      code,
    };
  }
  get code(): number {
    return this.status.code;
  }
  get reason(): string | undefined {
    return this.status.reason;
  }
}

export function isApiError(err: unknown, reason?: string): err is ApiError {
  return err instanceof ApiError && (reason === undefined || err.reason === reason);
}

/** `pods`, `deployments.apps`: how Kubernetes names a resource in messages. */
export interface GroupResource {
  group: string;
  resource: string;
}

function qualified(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

function resourceDetails(gr: GroupResource, name: string): StatusDetails {
  return { name, ...(gr.group ? { group: gr.group } : {}), kind: gr.resource };
}

export const errors = {
  notFound(gr: GroupResource, name: string): ApiError {
    return new ApiError(404, 'NotFound', `${qualified(gr)} "${name}" not found`, resourceDetails(gr, name));
  },
  alreadyExists(gr: GroupResource, name: string): ApiError {
    return new ApiError(409, 'AlreadyExists', `${qualified(gr)} "${name}" already exists`, resourceDetails(gr, name));
  },
  conflict(gr: GroupResource, name: string, detail: string): ApiError {
    return new ApiError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${detail}`,
      resourceDetails(gr, name),
    );
  },
  modifiedConflict(gr: GroupResource, name: string): ApiError {
    return errors.conflict(
      gr,
      name,
      'the object has been modified; please apply your changes to the latest version and try again',
    );
  },
  /** 422: `Pod "p" is invalid: <field errors>` (`Deployment.apps "web"` for a named group). */
  invalid(group: string, kind: string, name: string, fieldErrors: FieldError[]): ApiError {
    const unique = dedupe(fieldErrors);
    const causes = unique.map((e) => ({ reason: e.type, message: e.body(), field: e.field }));
    const qualifiedKind = group ? `${kind}.${group}` : kind;
    return new ApiError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${aggregate(unique)}`, {
      name,
      ...(group ? { group } : {}),
      kind,
      causes,
    });
  },
  badRequest(message: string): ApiError {
    return new ApiError(400, 'BadRequest', message);
  },
  unauthorized(message = 'Unauthorized'): ApiError {
    return new ApiError(401, 'Unauthorized', message);
  },
  forbidden(gr: GroupResource, name: string, reason: string): ApiError {
    const subject = name ? `${qualified(gr)} "${name}"` : qualified(gr);
    return new ApiError(403, 'Forbidden', `${subject} is forbidden: ${reason}`, resourceDetails(gr, name));
  },
  namespaceTerminating(gr: GroupResource, name: string, namespace: string): ApiError {
    const err = errors.forbidden(
      gr,
      name,
      `unable to create new content in namespace ${namespace} because it is being terminated`,
    );
    err.status.details!.causes = [
      { reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' },
    ];
    return err;
  },
  methodNotSupported(gr: GroupResource, verb: string): ApiError {
    return new ApiError(405, 'MethodNotAllowed', `${verb} is not supported on resources of kind "${qualified(gr)}"`, {
      ...(gr.group ? { group: gr.group } : {}),
      kind: gr.resource,
    });
  },
  notAcceptable(message: string): ApiError {
    return new ApiError(406, 'NotAcceptable', message);
  },
  /** 410 for a resourceVersion or continue token older than what is kept. */
  expired(message: string): ApiError {
    return new ApiError(410, 'Expired', message);
  },
  gone(message: string): ApiError {
    return new ApiError(410, 'Gone', message);
  },
  tooLarge(limitBytes: number): ApiError {
    return new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limitBytes}`);
  },
  unsupportedMediaType(accepted: string[]): ApiError {
    return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`);
  },
  tooManyRequests(message: string, retryAfterSeconds: number): ApiError {
    return new ApiError(429, 'TooManyRequests', message, { retryAfterSeconds });
  },
  internal(message: string): ApiError {
    return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, {
      causes: [{ message }],
    });
  },
  serviceUnavailable(message: string): ApiError {
    return new ApiError(503, 'ServiceUnavailable', message);
  },
  timeout(message: string, retryAfterSeconds = 2): ApiError {
    return new ApiError(504, 'Timeout', message, { retryAfterSeconds });
  },
  /** Path that matches no route: Kubernetes answers a bare 404 Status with reason NotFound. */
  routeNotFound(): ApiError {
    return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
  },
};

// ---- field errors (k8s.io/apimachinery/pkg/util/validation/field) --------------------------------

export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueDuplicate'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueNotFound'
  | 'InternalError';

const typeWords: Record<FieldErrorType, string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  FieldValueNotFound: 'Not found',
  InternalError: 'Internal error',
};

const NO_VALUE = Symbol('no value');

export class FieldError {
  constructor(
    readonly type: FieldErrorType,
    readonly field: string,
    readonly value: unknown,
    readonly detail: string,
  ) {}

  /** The text after `<field>: `, as in `causes[].message`. */
  body(): string {
    let s = typeWords[this.type];
    if (this.value !== NO_VALUE) s += `: ${renderValue(this.value)}`;
    if (this.detail) s += `: ${this.detail}`;
    return s;
  }

  toString(): string {
    return this.field ? `${this.field}: ${this.body()}` : this.body();
  }
}

/** Go's rendering of a value inside a field error: strings quoted, numbers and bools bare, nil as null. */
export function renderValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return `[]${value.length ? '{' + value.map(renderValue).join(', ') + '}' : '{}'}`;
  return JSON.stringify(value);
}

export const field = {
  required(path: string, detail = ''): FieldError {
    return new FieldError('FieldValueRequired', path, NO_VALUE, detail);
  },
  invalid(path: string, value: unknown, detail: string): FieldError {
    return new FieldError('FieldValueInvalid', path, value, detail);
  },
  duplicate(path: string, value: unknown): FieldError {
    return new FieldError('FieldValueDuplicate', path, value, '');
  },
  notSupported(path: string, value: unknown, supported: string[]): FieldError {
    const detail = supported.length ? `supported values: ${supported.map((v) => JSON.stringify(v)).join(', ')}` : '';
    return new FieldError('FieldValueNotSupported', path, value, detail);
  },
  forbidden(path: string, detail: string): FieldError {
    return new FieldError('FieldValueForbidden', path, NO_VALUE, detail);
  },
  tooLong(path: string, maxBytes: number): FieldError {
    return new FieldError('FieldValueTooLong', path, NO_VALUE, `must have at most ${maxBytes} bytes`);
  },
  tooMany(path: string, actual: number, max: number): FieldError {
    return new FieldError('FieldValueTooMany', path, NO_VALUE, `must have at most ${max} items`);
  },
  notFound(path: string, value: unknown): FieldError {
    return new FieldError('FieldValueNotFound', path, value, '');
  },
  internal(path: string, detail: string): FieldError {
    return new FieldError('InternalError', path, NO_VALUE, detail);
  },
};

function dedupe(list: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return list.filter((e) => {
    const s = e.toString();
    if (seen.has(s)) return false;
    seen.add(s);
    return true;
  });
}

/** utilerrors.NewAggregate(...).Error(): one error as-is, several as `[e1, e2]`. */
export function aggregate(list: FieldError[]): string {
  const texts = dedupe(list).map((e) => e.toString());
  return texts.length === 1 ? texts[0]! : `[${texts.join(', ')}]`;
}
