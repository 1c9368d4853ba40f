// The one error family of the server: every failure that becomes an HTTP status is an HttpError
// (a KernelError, so it carries an errno like every kernel error). The parser throws it for bad
// bytes on the wire; route handlers throw it for bad parameters (OSv's bad_param_exception, 400),
// missing things (404) and failures underneath (500). The server turns it into OSv's error body
// `{"message": …, "code": …}` (httpserver-api json/formatter, exception.hh).
import { Errno, KernelError } from '@osv-ts/kernel-api';

export class HttpError extends KernelError {
  constructor(
    /** The HTTP status code the response carries (RFC 9110 §15). */
    readonly status: number,
    /** The text of the error body's `message`, as OSv words it where OSv has a word. */
    readonly detail: string,
    errno: number = Errno.EINVAL,
  ) {
    super(errno, detail);
  }
}

/** A request the parser refused: the status says why (400, 413, 431, 501, 505). */
export class HttpParseError extends HttpError {
  constructor(
    status: number,
    detail: string,
    /** Byte offset in the request where the fault was found. */
    readonly offset: number,
  ) {
    super(status, detail, Errno.EPROTO);
  }
}

/** OSv's bad_param_exception: a missing or malformed parameter (400). */
export function badParam(detail: string): HttpError {
  return new HttpError(400, detail);
}

export function notFound(detail: string): HttpError {
  return new HttpError(404, detail, Errno.ENOENT);
}

export function serverError(detail: string, errno: number = Errno.EIO): HttpError {
  return new HttpError(500, detail, errno);
}
