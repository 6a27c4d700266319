/* fnrt — status codes and the last-error message.
 *
 * Every library call returns an fnrt_status (0 = ok, negative = error).  On error the
 * calling thread's last-error message says what went wrong in one line, naming the
 * offending file/tensor/device and, for device errors, the raw OpenCL/XRT code. */
#ifndef FNRT_STATUS_H
#define FNRT_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fnrt_status {
    FNRT_OK = 0,
    FNRT_ERR_INVALID_ARG = -1,  /* a caller passed something unusable */
    FNRT_ERR_IO = -2,           /* a file could not be opened/read/written */
    FNRT_ERR_FORMAT = -3,       /* a file is corrupt or not of the expected format */
    FNRT_ERR_MODEL = -4,        /* a model file lacks a tensor or has a wrong shape/dtype */
    FNRT_ERR_NOMEM = -5,        /* an allocation failed or an explicit limit was hit */
    FNRT_ERR_DEVICE = -6,       /* the device/driver reported an error */
    FNRT_ERR_UNSUPPORTED = -7,  /* the backend/device cannot run what was asked */
    FNRT_ERR_LIMIT = -8,        /* an input exceeds a configured limit */
    FNRT_ERR_INTERNAL = -9,     /* a bug in fnrt */
    FNRT_ERR_TIMEOUT = -10      /* a device wait exceeded its bound; the session is abandoned */
} fnrt_status;

/* Short constant name of a status ("ok", "invalid argument", ...). */
const char *fnrt_status_str(fnrt_status st);

/* The calling thread's last error message ("" if none).  Valid until the next fnrt call
 * on this thread that fails. */
const char *fnrt_last_error(void);

/* Sets the calling thread's last-error message (printf-style) and returns st, so that a
 * failing path can read `return fnrt_error(FNRT_ERR_IO, "cannot open %s", path);`. */
fnrt_status fnrt_error(fnrt_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Clears the calling thread's last-error message. */
void fnrt_error_clear(void);

#ifdef __cplusplus
}
#endif
#endif
