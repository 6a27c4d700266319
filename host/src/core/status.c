#include "fnrt/fnrt-status.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_error[2048];

const char *fnrt_status_str(fnrt_status st)
{
    switch (st) {
    case FNRT_OK: return "ok";
    case FNRT_ERR_INVALID_ARG: return "invalid argument";
    case FNRT_ERR_IO: return "i/o error";
    case FNRT_ERR_FORMAT: return "bad file format";
    case FNRT_ERR_MODEL: return "bad model";
    case FNRT_ERR_NOMEM: return "out of memory";
    case FNRT_ERR_DEVICE: return "device error";
    case FNRT_ERR_UNSUPPORTED: return "unsupported";
    case FNRT_ERR_LIMIT: return "limit exceeded";
    case FNRT_ERR_INTERNAL: return "internal error";
    case FNRT_ERR_TIMEOUT: return "timed out";
    }
    return "unknown status";
}

const char *fnrt_last_error(void)
{
    return last_error;
}

fnrt_status fnrt_error(fnrt_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return st;
}

void fnrt_error_clear(void)
{
    last_error[0] = '\0';
}
