/* The kernels an fnrt xclbin provides, with the argument lists of the HLS top functions
 * (hls/<family>/fnrt-<op>.cpp, hls/glue/).  Argument order is the C signature's order, which
 * is XRT's argument index.  Keep in step with hls/ (a test compares the two). */
#include "backend/xrt/xrt-kernels.h"

#include <string.h>

#define M(n) { n, FNRT_XRT_ARG_MEM }
#define SI(n) { n, FNRT_XRT_ARG_STREAM_IN }
#define SO(n) { n, FNRT_XRT_ARG_STREAM_OUT }
#define I(n) { n, FNRT_XRT_ARG_INT }
#define F(n) { n, FNRT_XRT_ARG_FLOAT }

const fnrt_xrt_kernel_desc fnrt_xrt_kernels[] = {
    { "fnrt_conv2d", FNRT_OP_CONV2D, 20,
      { SI("x"), M("w"), M("bias"), SI("res"), SO("y"), I("ci"), I("h"), I("wd"), I("co"),
        I("kh"), I("kw"), I("stride"), I("pad"), I("act_in"), I("act_out"), F("alpha_in"),
        F("alpha_out"), I("tile_rows"), I("has_bias"), I("has_res") } },
    { "fnrt_deconv2d", FNRT_OP_DECONV2D, 17,
      { SI("x"), M("w"), M("bias"), SO("y"), I("ci"), I("h"), I("wd"), I("co"), I("k"),
        I("stride"), I("pad"), I("act_in"), I("act_out"), F("alpha_in"), F("alpha_out"),
        I("tile_rows"), I("has_bias") } },
    { "fnrt_maxpool", FNRT_OP_MAXPOOL, 8,
      { SI("x"), SO("y"), I("c"), I("h"), I("w"), I("k"), I("stride"), I("pad") } },
    { "fnrt_upsample2x", FNRT_OP_UPSAMPLE2X, 6,
      { SI("x"), SO("y"), I("c"), I("h"), I("w"), I("align_corners") } },
    { "fnrt_concat", FNRT_OP_CONCAT, 7,
      { SI("a"), SI("b"), SO("y"), I("ca"), I("cb"), I("stride_b"), I("n_pix") } },
    { "fnrt_global_avgpool", FNRT_OP_GLOBAL_AVGPOOL, 5,
      { SI("x"), SO("y"), I("c"), I("h"), I("w") } },
    { "fnrt_modulate", FNRT_OP_MODULATE, 8,
      { M("w"), M("s"), M("y"), I("co"), I("ci"), I("k"), F("scale"), F("eps") } },
    { "fnrt_gray", FNRT_OP_GRAY, 3, { SI("x"), SO("y"), I("n_pix") } },
    { "fnrt_l2norm", FNRT_OP_L2NORM, 5,
      { SI("x"), SO("y"), I("n_pix"), I("swizzle"), F("eps") } },
    { "fnrt_add", FNRT_OP_ADD, 7,
      { SI("a"), SI("b"), SO("y"), I("c"), I("n_pix"), I("act"), F("alpha") } },
    { "fnrt_maxmerge", FNRT_OP_MAXMERGE, 6,
      { SI("x"), SI("skip"), SO("y"), I("c"), I("k"), I("n_pix") } },
    { FNRT_XRT_MM2S, -1, 9,
      { M("src"), SO("out"), I("c"), I("h"), I("w"), I("c_first"), I("c_step"), I("order"),
        I("tile_rows") } },
    { FNRT_XRT_S2MM, -1, 8,
      { SI("in"), M("dst"), I("c"), I("h"), I("w"), I("c_base"), I("order"),
        I("tile_rows") } },
};

const int fnrt_xrt_n_kernels = (int)(sizeof fnrt_xrt_kernels / sizeof fnrt_xrt_kernels[0]);

const fnrt_xrt_kernel_desc *fnrt_xrt_kernel_for_op(fnrt_op_type t)
{
    for (int i = 0; i < fnrt_xrt_n_kernels; i++)
        if (fnrt_xrt_kernels[i].op == (int)t)
            return &fnrt_xrt_kernels[i];
    return NULL;
}

const fnrt_xrt_kernel_desc *fnrt_xrt_kernel_find(const char *name)
{
    for (int i = 0; i < fnrt_xrt_n_kernels; i++)
        if (strcmp(fnrt_xrt_kernels[i].name, name) == 0)
            return &fnrt_xrt_kernels[i];
    return NULL;
}

const char *fnrt_xrt_arg_kind_str(fnrt_xrt_arg_kind k)
{
    switch (k) {
    case FNRT_XRT_ARG_MEM: return "mem";
    case FNRT_XRT_ARG_STREAM_IN: return "stream-in";
    case FNRT_XRT_ARG_STREAM_OUT: return "stream-out";
    case FNRT_XRT_ARG_INT: return "int";
    case FNRT_XRT_ARG_FLOAT: return "float";
    }
    return "?";
}
