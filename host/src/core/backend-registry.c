/* The built-in backends, their lookup, and small helpers of the backend interface. */
#include "fnrt/fnrt-backend.h"
#ifdef FNRT_HAVE_XRT
#include "backend/xrt/xrt.h"
#endif

#include <string.h>

static const fnrt_backend_ops *const backends[] = {
    &fnrt_backend_ref,
    &fnrt_backend_opencl,
#ifdef FNRT_HAVE_XRT
    &fnrt_backend_xrt, /* only when built with XRT (CMake: FNRT_HAVE_XRT) */
#endif
};

const fnrt_backend_ops *fnrt_backend_find(const char *name)
{
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
        if (strcmp(backends[i]->name, name) == 0)
            return backends[i];
    return NULL;
}

size_t fnrt_shape_elems(const fnrt_shape *s)
{
    if (s->ndim <= 0)
        return 0;
    size_t n = 1;
    for (int i = 0; i < s->ndim; i++)
        n *= (size_t)s->dims[i];
    return n;
}

const char *fnrt_op_type_str(fnrt_op_type t)
{
    switch (t) {
    case FNRT_OP_CONV2D: return "conv2d";
    case FNRT_OP_DECONV2D: return "deconv2d";
    case FNRT_OP_MAXPOOL: return "maxpool";
    case FNRT_OP_UPSAMPLE2X: return "upsample2x";
    case FNRT_OP_CONCAT: return "concat";
    case FNRT_OP_GLOBAL_AVGPOOL: return "global_avgpool";
    case FNRT_OP_MODULATE: return "modulate";
    case FNRT_OP_GRAY: return "gray";
    case FNRT_OP_L2NORM: return "l2norm";
    case FNRT_OP_ADD: return "add";
    case FNRT_OP_MAXMERGE: return "maxmerge";
    case FNRT_OP_COUNT: break;
    }
    return "?";
}
